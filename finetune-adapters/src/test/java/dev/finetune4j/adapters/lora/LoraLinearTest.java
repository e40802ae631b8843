package dev.finetune4j.adapters.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.DenseWeight;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.testing.GradientCheck;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LoraLinearTest {
    static final int IN = 7;
    static final int OUT = 5;
    static final int R = 3;
    static final int ROWS = 4;

    static DenseLinear base(DataType dt, boolean trainable, boolean bias) {
        Nd4j.getRandom().setSeed(11);
        Parameter w = new Parameter("m.q_proj.weight", Nd4j.randn(dt, OUT, IN), trainable);
        Parameter b = bias ? new Parameter("m.q_proj.bias", Nd4j.randn(dt, OUT), trainable) : null;
        return new DenseLinear("m.q_proj", new DenseWeight(w), b);
    }

    static LoraLinear lora(DataType dt, double dropout, LoraInit init) {
        return LoraLinear.create(base(dt, false, true), R, 6, false, dropout, init, dt, new SplittableRandom(5), true, 9);
    }

    @Test
    void forwardIsBasePlusScaledLowRankTerm() {
        LoraLinear l = lora(DataType.DOUBLE, 0, LoraInit.RANDOM);
        assertEquals(2.0, l.scaling());
        INDArray x = Nd4j.randn(DataType.DOUBLE, ROWS, IN);
        INDArray y = l.forward(x, false);
        INDArray base = l.base().forward(x, false);
        // reference with the materialised ΔW = s·B·A
        INDArray want = base.add(x.mmul(l.loraB().value().mmul(l.loraA().value()).mul(2.0).transpose()));
        assertEquals(0, y.sub(want).amaxNumber().doubleValue(), 1e-12);
        assertTrue(y.sub(base).amaxNumber().doubleValue() > 1e-3, "the adapter must change the output");
    }

    /** backwardInto (q/k/v and gate/up sum their input gradients) equals backward plus an add, gradients included. */
    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.3})
    void backwardIntoAddsWhatBackwardReturns(double dropout) {
        for (boolean baseTrains : new boolean[] {false, true}) {
            LoraLinear one = LoraLinear.create(base(DataType.DOUBLE, baseTrains, true), R, 6, false, dropout,
                    LoraInit.RANDOM, DataType.DOUBLE, new SplittableRandom(5), true, 9);
            LoraLinear two = LoraLinear.create(base(DataType.DOUBLE, baseTrains, true), R, 6, false, dropout,
                    LoraInit.RANDOM, DataType.DOUBLE, new SplittableRandom(5), true, 9);
            Nd4j.getRandom().setSeed(3);
            INDArray x = Nd4j.randn(DataType.DOUBLE, ROWS, IN);
            INDArray dy = Nd4j.randn(DataType.DOUBLE, ROWS, OUT);
            INDArray start = Nd4j.randn(DataType.DOUBLE, ROWS, IN);
            one.forward(x, true);
            INDArray want = start.add(one.backward(dy));
            two.forward(x, true);
            INDArray got = start.dup();
            two.backwardInto(dy, got);
            assertEquals(0, got.sub(want).amaxNumber().doubleValue(), 1e-12, "dx, dropout " + dropout);
            for (int i = 0; i < one.parameters().size(); i++) {
                INDArray g1 = one.parameters().get(i).grad();
                INDArray g2 = two.parameters().get(i).grad();
                assertEquals(g1 == null, g2 == null, one.parameters().get(i).name());
                if (g1 != null) {
                    assertEquals(0, g1.sub(g2).amaxNumber().doubleValue(), 1e-12, one.parameters().get(i).name());
                }
            }
        }
    }

    @Test
    void defaultInitIsANoOpWithKaimingUniformA() {
        LoraLinear l = lora(DataType.FLOAT, 0, LoraInit.DEFAULT);
        INDArray x = Nd4j.randn(DataType.FLOAT, ROWS, IN);
        assertEquals(l.base().forward(x, false), l.forward(x, false));
        assertEquals(0, l.loraB().value().amaxNumber().doubleValue());
        double bound = 1 / Math.sqrt(IN);
        INDArray a = l.loraA().value();
        assertTrue(a.amaxNumber().doubleValue() <= bound);
        assertTrue(a.amaxNumber().doubleValue() > 0.5 * bound);
        // seeded: the same seed gives the same weights, another seed others
        assertEquals(a, lora(DataType.FLOAT, 0, LoraInit.DEFAULT).loraA().value());
        LoraLinear other = LoraLinear.create(base(DataType.FLOAT, false, true), R, 6, false, 0, LoraInit.DEFAULT,
                DataType.FLOAT, new SplittableRandom(6), true, 9);
        assertNotEquals(a, other.loraA().value());
        assertEquals("m.q_proj.lora_A.weight", l.loraA().name());
        assertEquals("m.q_proj.lora_B.weight", l.loraB().name());
        assertEquals(4, l.parameters().size()); // base weight, base bias, A, B
    }

    @Test
    void gaussianInitHasStdOneOverRank() {
        LoraLinear l = LoraLinear.create(base(DataType.DOUBLE, false, false), 4, 8, false, 0, LoraInit.GAUSSIAN,
                DataType.DOUBLE, new SplittableRandom(1), true, 1);
        // 4 x 7 = 28 draws is too few for a std estimate: use a wide layer
        LoraLinear wide = LoraLinear.create(new DenseLinear("w", new DenseWeight(new Parameter("w.weight",
                Nd4j.zeros(DataType.DOUBLE, 2, 5000), false)), null), 4, 8, false, 0, LoraInit.GAUSSIAN,
                DataType.DOUBLE, new SplittableRandom(1), true, 1);
        assertEquals(0.25, wide.loraA().value().stdNumber().doubleValue(), 0.01);
        assertEquals(0, l.loraB().value().amaxNumber().doubleValue());
    }

    @Test
    void rsLoraScalesByAlphaOverSqrtRank() {
        LoraLinear l = LoraLinear.create(base(DataType.DOUBLE, false, false), 4, 8, true, 0, LoraInit.DEFAULT,
                DataType.DOUBLE, new SplittableRandom(1), true, 1);
        assertEquals(4.0, l.scaling());
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.4})
    void gradientsMatchFiniteDifferences(double dropout) {
        LoraLinear l = lora(DataType.DOUBLE, dropout, LoraInit.RANDOM);
        INDArray x = Nd4j.randn(DataType.DOUBLE, ROWS, IN);
        INDArray r = Nd4j.randn(DataType.DOUBLE, ROWS, OUT);
        // a training forward draws a dropout mask: reseeding before every forward replays the same mask
        l.reseedDropout(123);
        l.forward(x, true);
        INDArray dx = l.backward(r);
        java.util.function.DoubleSupplier loss = () -> {
            l.reseedDropout(123);
            INDArray y = l.forward(x, true);
            l.clearCache();
            return GradientCheck.dot(y, r);
        };
        GradientCheck.check("dx", loss, x, dx);
        GradientCheck.check("dA", loss, l.loraA().value(), l.loraA().grad());
        GradientCheck.check("dB", loss, l.loraB().value(), l.loraB().grad());
        for (Parameter p : l.base().parameters()) {
            assertNull(p.grad(), p.name() + " is frozen");
        }
    }

    @Test
    void trainableBaseStillGetsItsGradient() {
        LoraLinear l = LoraLinear.create(base(DataType.DOUBLE, true, true), R, 6, false, 0, LoraInit.RANDOM,
                DataType.DOUBLE, new SplittableRandom(5), true, 9);
        INDArray x = Nd4j.randn(DataType.DOUBLE, ROWS, IN);
        INDArray r = Nd4j.randn(DataType.DOUBLE, ROWS, OUT);
        l.forward(x, true);
        l.backward(r);
        Parameter w = l.base().parameters().get(0);
        GradientCheck.check("dW", () -> GradientCheck.dot(l.forward(x, false), r), w.value(), w.grad());
    }

    @Test
    void dropoutDropsAboutPAndScalesTheRestAndOnlyWhileTraining() {
        Parameter w = new Parameter("w.weight", Nd4j.zeros(DataType.DOUBLE, 1, 4000), false);
        // A = identity-like on one row: t = x·Aᵀ reads the dropped x; B = 1, alpha = r → s = 1
        INDArray a = Nd4j.ones(DataType.DOUBLE, 1, 4000);
        INDArray b = Nd4j.ones(DataType.DOUBLE, 1, 1);
        LoraLinear l = new LoraLinear(new DenseLinear("w", new DenseWeight(w), null), a, b, 1, false, 0.25, true, 3);
        INDArray x = Nd4j.ones(DataType.DOUBLE, 1, 4000);
        double sum = l.forward(x, true).getDouble(0, 0); // Σ mask = kept · 1/(1-p)
        double kept = sum * 0.75;
        assertEquals(Math.rint(kept), kept, 1e-9, "kept entries are scaled by exactly 1/(1-p)");
        assertEquals(3000, kept, 120); // ~ 4000·0.75 ± 4.4σ
        assertEquals(4000, l.forward(x, false).getDouble(0, 0), 1e-9, "no dropout in evaluation");
        double again = l.forward(x, true).getDouble(0, 0);
        assertNotEquals(sum, again, "each training forward draws a new mask");
    }

    @Test
    void disabledAdapterComputesAsTheBaseAndGetsNoGradient() {
        LoraLinear l = lora(DataType.DOUBLE, 0.3, LoraInit.RANDOM);
        INDArray x = Nd4j.randn(DataType.DOUBLE, ROWS, IN);
        INDArray r = Nd4j.randn(DataType.DOUBLE, ROWS, OUT);
        l.setEnabled(false);
        assertEquals(l.base().forward(x, false), l.forward(x, true));
        INDArray dx = l.backward(r);
        assertNull(l.loraA().grad());
        assertNull(l.loraB().grad());
        INDArray w = l.base().parameters().get(0).value();
        assertEquals(0, dx.sub(r.mmul(w)).amaxNumber().doubleValue(), 1e-12);
        l.setEnabled(true);
        assertNotEquals(l.base().forward(x, false), l.forward(x, false));
    }

    @Test
    void mergedLayerEqualsTheAdaptedLayer() {
        LoraLinear l = lora(DataType.DOUBLE, 0, LoraInit.RANDOM);
        INDArray x = Nd4j.randn(DataType.DOUBLE, ROWS, IN);
        DenseLinear merged = l.merged();
        assertEquals(0, merged.forward(x, false).sub(l.forward(x, false)).amaxNumber().doubleValue(), 1e-12);
        assertEquals("m.q_proj.weight", merged.parameters().get(0).name());
        INDArray want = l.base().parameters().get(0).value().add(l.delta());
        assertEquals(want, merged.weight().acquire());
    }

    @Test
    void backwardWithoutTrainingForwardIsAnError() {
        LoraLinear l = lora(DataType.DOUBLE, 0, LoraInit.RANDOM);
        l.forward(Nd4j.randn(DataType.DOUBLE, ROWS, IN), false);
        assertThrows(IllegalStateException.class, () -> l.backward(Nd4j.randn(DataType.DOUBLE, ROWS, OUT)));
    }

    @Test
    void shapesThatDoNotFitAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LoraLinear(
                base(DataType.DOUBLE, false, false), Nd4j.zeros(DataType.DOUBLE, R, IN + 1),
                Nd4j.zeros(DataType.DOUBLE, OUT, R), 8, false, 0, true, 1));
        assertTrue(e.getMessage().contains("m.q_proj"), e.getMessage());
    }
}
