package dev.finetune4j.model.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.DenseWeight;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class CausalLmLossTest {
    private static final int IGN = -100;

    private static DenseLinear head(DataType dt, int vocab, int hidden, boolean trainable) {
        Nd4j.getRandom().setSeed(3);
        return new DenseLinear("lm_head", new DenseWeight(new Parameter("lm_head.weight",
                Nd4j.randn(dt, vocab, hidden), trainable)), null);
    }

    /** Σ over targets of logsumexp(z) − z[t], straight from the definition. */
    private static double referenceNll(DenseLinear lm, INDArray h, int[] targets) {
        INDArray z = Nd4j.gemm(h, lm.weight().acquire(), false, true);
        double sum = 0;
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] == IGN) {
                continue;
            }
            double max = z.getRow(r).maxNumber().doubleValue();
            double s = 0;
            for (int v = 0; v < z.size(1); v++) {
                s += Math.exp(z.getDouble(r, v) - max);
            }
            sum += max + Math.log(s) - z.getDouble(r, targets[r]);
        }
        return sum;
    }

    @Test
    void shiftScoresEachPositionAgainstTheNextLabel() {
        int[] labels = {IGN, 5, 6, IGN, 9, IGN, 7, 8};
        assertArrayEquals(new int[] {5, 6, IGN, IGN, IGN, 7, 8, IGN}, CausalLmLoss.shiftedTargets(labels, 2, 4));
    }

    @Test
    void crossEntropyMatchesDefinitionForAnyChunkSize() {
        DenseLinear lm = head(DataType.DOUBLE, 11, 4, false);
        INDArray h = Nd4j.randn(DataType.DOUBLE, 7, 4);
        int[] targets = {3, IGN, 10, 0, IGN, 4, 4};
        double want = referenceNll(lm, h, targets);
        for (long chunk : new long[] {11, 22, 33, 1000}) {
            CausalLmLoss.Result r = CausalLmLoss.crossEntropy(lm, h, targets, 0, false, chunk);
            assertEquals(want, r.nllSum(), 1e-10, "chunk " + chunk);
            assertEquals(5, r.tokens());
            assertEquals(want / 5, r.loss(), 1e-10);
        }
        CausalLmLoss.Result withNorm = CausalLmLoss.crossEntropy(lm, h, targets, 20, false, 22);
        assertEquals(want / 20, withNorm.loss(), 1e-10);
    }

    @Test
    void crossEntropyGradientsMatchFiniteDifferences() {
        DenseLinear lm = head(DataType.DOUBLE, 9, 5, true);
        INDArray h = Nd4j.randn(DataType.DOUBLE, 6, 5);
        int[] targets = {2, IGN, 8, 0, 1, IGN};
        double norm = 7; // as under gradient accumulation: more label tokens than this micro-batch has
        CausalLmLoss.Result r = CausalLmLoss.crossEntropy(lm, h, targets, norm, true, 18); // 2 rows per chunk
        Parameter w = lm.weight().parameter().orElseThrow();
        GradientCheck.check("dL/dh", () -> CausalLmLoss.crossEntropy(lm, h, targets, norm, false, 18).loss(), h,
                r.hiddenGrad());
        GradientCheck.check("dL/dW", () -> CausalLmLoss.crossEntropy(lm, h, targets, norm, false, 18).loss(),
                w.value(), w.grad());
        for (int v = 0; v < 5; v++) {
            assertEquals(0.0, r.hiddenGrad().getDouble(1, v), 0.0, "ignored rows get no gradient");
        }
    }

    @Test
    void tokenLogProbsAndTheirBackward() {
        DenseLinear lm = head(DataType.DOUBLE, 9, 5, true);
        INDArray h = Nd4j.randn(DataType.DOUBLE, 6, 5);
        int[] targets = {2, IGN, 8, 0, 1, IGN};
        double[] lp = CausalLmLoss.tokenLogProbs(lm, h, targets, 18);
        CausalLmLoss.Result ce = CausalLmLoss.crossEntropy(lm, h, targets, 0, false, 100);
        assertEquals(-ce.nllSum(), lp[0] + lp[2] + lp[3] + lp[4], 1e-10);
        assertEquals(0.0, lp[1]);
        double[] up = {0.5, 9, -1.5, 2.0, 0.25, 3};
        INDArray g = CausalLmLoss.tokenLogProbsBackward(lm, h, targets, up, 18);
        Parameter w = lm.weight().parameter().orElseThrow();
        java.util.function.DoubleSupplier f = () -> {
            double[] l = CausalLmLoss.tokenLogProbs(lm, h, targets, 18);
            double s = 0;
            for (int i = 0; i < l.length; i++) {
                s += up[i] * l[i];
            }
            return s;
        };
        GradientCheck.check("dlogp/dh", f, h, g);
        GradientCheck.check("dlogp/dW", f, w.value(), w.grad());

        // per sequence (2 sequences of 3 rows)
        double[] seq = CausalLmLoss.sequenceLogProbs(lm, h, targets, 3, 18);
        assertEquals(lp[0] + lp[2], seq[0], 1e-12);
        assertEquals(lp[3] + lp[4], seq[1], 1e-12);
        w.zeroGrad();
        INDArray gs = CausalLmLoss.sequenceLogProbsBackward(lm, h, targets, 3, new double[] {2.0, -1.0}, 18);
        GradientCheck.check("dseq/dh", () -> {
            double[] s = CausalLmLoss.sequenceLogProbs(lm, h, targets, 3, 18);
            return 2.0 * s[0] - s[1];
        }, h, gs);
    }

    @Test
    void underflowingProbabilitiesStillGiveTheExactNll() {
        // FLOAT: the target's logit is 200 below the best one, so its float probability is exactly 0
        DenseLinear lm = new DenseLinear("lm_head", new DenseWeight(new Parameter("w",
                Nd4j.createFromArray(new float[][] {{1f}, {-1f}, {0f}}), false)), null);
        INDArray h = Nd4j.createFromArray(new float[][] {{100f}});
        CausalLmLoss.Result r = CausalLmLoss.crossEntropy(lm, h, new int[] {1}, 0, false, 1000);
        assertEquals(200.0, r.nllSum(), 1e-3);
    }
}
