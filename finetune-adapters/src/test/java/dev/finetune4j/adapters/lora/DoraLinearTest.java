package dev.finetune4j.adapters.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.DenseWeight;
import dev.finetune4j.nn.ForwardMode;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.quant.Quantizers;
import dev.finetune4j.testing.GradientCheck;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DoraLinearTest {
    static final int IN = 7;
    static final int OUT = 5;
    static final int R = 3;
    static final int ROWS = 4;

    /** DoRA with nonzero A and B (RANDOM init) and a magnitude away from ‖V‖, so that g ≠ 1 everywhere. */
    static DoraLinear dora(DataType dt, double dropout, boolean rslora) {
        DenseLinear base = LoraLinearTest.base(dt, false, true);
        LoraLinear l = LoraLinear.create(base, R, 6, rslora, dropout, LoraInit.RANDOM, dt, new SplittableRandom(5),
                true, 9);
        Nd4j.getRandom().setSeed(3);
        INDArray m = Nd4j.rand(dt, OUT).addi(0.5).muli(3);
        return new DoraLinear(base, l.loraA().value(), l.loraB().value(), m, 6, rslora, dropout, true, 9);
    }

    /**
     * Activation checkpointing: the no-cache first pass applies dropout, and the recomputation before backward replays
     * its mask, so output and gradients equal those of one ordinary training pass with the same seed.
     */
    @Test
    void checkpointedPassAndRecomputationReplayTheDropoutMask() {
        DoraLinear l = dora(DataType.DOUBLE, 0.3, false);
        Nd4j.getRandom().setSeed(21);
        INDArray x = Nd4j.randn(DataType.DOUBLE, ROWS, IN);
        INDArray r = Nd4j.randn(DataType.DOUBLE, ROWS, OUT);
        l.reseedDropout(55);
        INDArray y = l.forward(x, ForwardMode.TRAIN).dup();
        INDArray dx = l.backward(r).dup();
        INDArray dA = l.loraA().grad().dup();
        INDArray dm = l.magnitude().orElseThrow().grad().dup();
        l.loraA().zeroGrad();
        l.loraB().zeroGrad();
        l.magnitude().orElseThrow().zeroGrad();

        l.reseedDropout(55);
        INDArray first = l.forward(x, ForwardMode.TRAIN_NO_CACHE).dup();
        assertEquals(0, y.sub(first).amaxNumber().doubleValue(), 1e-12, "the first pass applies the same dropout");
        assertTrue(y.sub(l.forward(x, false)).amaxNumber().doubleValue() > 1e-6, "dropout must change the output");
        l.reseedDropout(55);
        l.forward(x, ForwardMode.TRAIN_NO_CACHE);
        INDArray again = l.forward(x, ForwardMode.RECOMPUTE);
        assertEquals(0, y.sub(again).amaxNumber().doubleValue(), 1e-12, "the recomputation replays the mask");
        assertEquals(0, dx.sub(l.backward(r)).amaxNumber().doubleValue(), 1e-12);
        assertEquals(0, dA.sub(l.loraA().grad()).amaxNumber().doubleValue(), 1e-12);
        assertEquals(0, dm.sub(l.magnitude().orElseThrow().grad()).amaxNumber().doubleValue(), 1e-12);
        assertThrows(IllegalStateException.class, () -> l.forward(x, ForwardMode.RECOMPUTE),
                "a recomputation needs a checkpointed pass before it");
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.3})
    void gradientsMatchFiniteDifferencesInDouble(double dropout) {
        DoraLinear l = dora(DataType.DOUBLE, dropout, false);
        Nd4j.getRandom().setSeed(17);
        INDArray x = Nd4j.randn(DataType.DOUBLE, ROWS, IN);
        INDArray r = Nd4j.randn(DataType.DOUBLE, ROWS, OUT);
        l.reseedDropout(123);
        l.forward(x, true);
        INDArray dx = l.backward(r).dup();
        // x and m do not enter the (detached) norm, so the plain finite differences of the layer check them; A and B
        // do, and are checked against a frozen-norm loss below
        java.util.function.DoubleSupplier loss = () -> {
            l.reseedDropout(123);
            INDArray y = l.forward(x, true);
            l.clearCache();
            return GradientCheck.dot(y, r);
        };
        GradientCheck.check("dx", loss, x, dx);
        GradientCheck.check("dm", loss, l.magnitude().orElseThrow().value(), l.magnitude().orElseThrow().grad());
        for (Parameter p : l.base().parameters()) {
            assertNull(p.grad(), p.name() + " is frozen");
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.3})
    void loraGradientsWithTheNormDetached(double dropout) {
        // dA and dB treat ‖V‖ as a constant, as PEFT does (weight_norm.detach()): compare against finite differences
        // of a layer whose g = m/‖V‖ is frozen at the current value, i.e. y = x·Wᵀ + b + (g−1)⊙x̃·Wᵀ + g⊙s·x̃·Aᵀ·Bᵀ
        // with g fixed — computed here in plain ND4J from the layer's own parameters
        DoraLinear l = dora(DataType.DOUBLE, dropout, true);
        Nd4j.getRandom().setSeed(19);
        INDArray x = Nd4j.randn(DataType.DOUBLE, ROWS, IN);
        INDArray r = Nd4j.randn(DataType.DOUBLE, ROWS, OUT);
        INDArray w = l.base().weight().acquire();
        INDArray bias = l.base().bias().value();
        double s = l.scaling();
        INDArray v = w.add(l.loraB().value().mmul(l.loraA().value()).muli(s));
        INDArray g = l.magnitude().orElseThrow().value().reshape(1, OUT).div(v.norm2(1).reshape(1, OUT));
        l.reseedDropout(77);
        l.forward(x, true);
        l.backward(r);
        // replay the same mask: each pass draws a mask seed from the reseeded generator, the mask from that seed
        INDArray mask = dropout == 0 ? Nd4j.ones(DataType.DOUBLE, ROWS, IN)
                : LoraDropout.mask(new SplittableRandom(new SplittableRandom(77).nextLong()), dropout,
                        DataType.DOUBLE, ROWS, IN);
        INDArray xd = x.mul(mask);
        java.util.function.DoubleSupplier frozenNorm = () -> {
            INDArray y = x.mmul(w.transpose()).addiRowVector(bias);
            INDArray baseD = xd.mmul(w.transpose());
            y.addi(baseD.mulRowVector(g.sub(1)));
            INDArray lora = xd.mmul(l.loraA().value().transpose()).mmul(l.loraB().value().transpose()).muli(s);
            y.addi(lora.mulRowVector(g));
            return GradientCheck.dot(y, r);
        };
        GradientCheck.check("dA", frozenNorm, l.loraA().value(), l.loraA().grad());
        GradientCheck.check("dB", frozenNorm, l.loraB().value(), l.loraB().grad());
        // and the layer's forward is exactly that expression
        l.reseedDropout(77);
        INDArray y = l.forward(x, true);
        l.clearCache();
        assertEquals(frozenNorm.getAsDouble(), GradientCheck.dot(y, r), 1e-10);
    }

    @Test
    void startsAsTheBaseWithMagnitudeTheRowNorms() {
        DenseLinear base = LoraLinearTest.base(DataType.DOUBLE, false, true);
        LoraLinear l = LoraLinear.create(base, R, 6, false, 0, LoraInit.DEFAULT, DataType.DOUBLE,
                new SplittableRandom(5), true, 9);
        DoraLinear d = new DoraLinear(base, l.loraA().value(), l.loraB().value(), null, 6, false, 0, true, 9);
        INDArray w = base.weight().acquire();
        assertEquals(0, d.magnitude().orElseThrow().value().sub(w.norm2(1)).amaxNumber().doubleValue(), 1e-12);
        INDArray x = Nd4j.randn(DataType.DOUBLE, ROWS, IN);
        assertEquals(0, d.forward(x, false).sub(base.forward(x, false)).amaxNumber().doubleValue(), 1e-12);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void mergedWeightGivesTheSameOutputs(boolean rslora) {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            DoraLinear l = dora(dt, 0.2, rslora);
            INDArray x = Nd4j.randn(dt, ROWS, IN);
            INDArray want = l.forward(x, false);
            INDArray got = l.merged().forward(x, false);
            assertEquals(0, got.sub(want).amaxNumber().doubleValue(), dt == DataType.DOUBLE ? 1e-12 : 1e-5, dt + "");
        }
    }

    @Test
    void worksOnAQuantizedBase() {
        Nd4j.getRandom().setSeed(2);
        INDArray w = Nd4j.randn(DataType.FLOAT, 64, 128);
        DenseLinear quantized = new DenseLinear("q", Quantizers.nf4().quantize("q.weight", w), null);
        INDArray deq = quantized.weight().acquire().dup();
        DenseLinear dense = new DenseLinear("q", new DenseWeight(new Parameter("q.weight", deq, false)), null);
        LoraLinear seedA = LoraLinear.create(dense, 4, 8, false, 0, LoraInit.RANDOM, DataType.FLOAT,
                new SplittableRandom(1), true, 1);
        DoraLinear onQuantized = new DoraLinear(quantized, seedA.loraA().value().dup(), seedA.loraB().value().dup(),
                null, 8, false, 0, true, 1);
        DoraLinear onDense = new DoraLinear(dense, seedA.loraA().value().dup(), seedA.loraB().value().dup(), null, 8,
                false, 0, true, 1);
        INDArray x = Nd4j.randn(DataType.FLOAT, 3, 128);
        assertEquals(0, onQuantized.forward(x, true).sub(onDense.forward(x, true)).amaxNumber().doubleValue(), 1e-5);
        INDArray r = Nd4j.randn(DataType.FLOAT, 3, 64);
        assertEquals(0, onQuantized.backward(r).sub(onDense.backward(r)).amaxNumber().doubleValue(), 1e-5);
        assertEquals(0, onQuantized.loraA().grad().sub(onDense.loraA().grad()).amaxNumber().doubleValue(), 1e-4);
    }

    @Test
    void refusesATrainableBaseWeight() {
        DenseLinear base = LoraLinearTest.base(DataType.DOUBLE, true, false);
        assertThrows(IllegalArgumentException.class, () -> new DoraLinear(base, Nd4j.zeros(DataType.DOUBLE, R, IN),
                Nd4j.zeros(DataType.DOUBLE, OUT, R), null, 6, false, 0, true, 1));
    }
}
