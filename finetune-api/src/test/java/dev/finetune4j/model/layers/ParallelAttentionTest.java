package dev.finetune4j.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.nn.Gemm;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The blocked, multi-threaded attention core equals a plain double-precision reference (scores, mask, softmax,
 * values and all four gradients) on causal, padded, packed and windowed masks, with sequences long enough to be cut
 * into many query blocks.
 */
class ParallelAttentionTest {
    private static final int HEADS = 4;
    private static final int KV = 2;
    private static final int D = 64;
    private static final int T = 256;

    @Test
    void equalsTheReferenceOnEveryMaskKind() {
        assertTrue(ParallelAttention.applies(DataType.FLOAT, 1000, T, D), "the test shape should take the path");
        int batch = 3;
        int[] segments = new int[batch * T];
        int[] positions = new int[batch * T];
        for (int t = 0; t < T; t++) {
            segments[t] = 1;                                          // plain causal
            segments[T + t] = t < 100 ? 1 : t < 230 ? 2 : 0;          // two packed examples, then right padding
            segments[2 * T + t] = t < 40 ? 0 : t < 90 ? 1 : t < 150 ? 2 : 1; // left padding, ids that come back
        }
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i % T;
        }
        RotaryEmbedding rope = new RotaryEmbedding(new float[D / 2], D);
        SequenceContext ctx = SequenceContext.forBatch(batch, T, positions, segments, DataType.FLOAT, rope);
        for (int window : new int[] {0, 37}) {
            check(ctx, batch, window);
        }
    }

    private static void check(SequenceContext ctx, int batch, int window) {
        SplittableRandom r = new SplittableRandom(11 + window);
        double[] q = random(r, batch * HEADS * T * D);
        double[] k = random(r, batch * KV * T * D);
        double[] v = random(r, batch * KV * T * D);
        double[] dO = random(r, batch * HEADS * T * D);
        double scale = 1.0 / Math.sqrt(D);
        SequenceContext.KeyRanges ranges = ctx.keyRanges(window);

        INDArray qa = floats(q, batch, HEADS);
        INDArray ka = floats(k, batch, KV);
        INDArray va = floats(v, batch, KV);
        INDArray doa = floats(dO, batch, HEADS);
        // pool arrays hold garbage: every output element must be written
        INDArray p = Nd4j.create(DataType.FLOAT, batch, HEADS, T, T).assign(Float.NaN);
        INDArray o = Nd4j.create(DataType.FLOAT, batch, HEADS, T, D).assign(Float.NaN);
        INDArray dP = Nd4j.create(DataType.FLOAT, batch, HEADS, T, T).assign(Float.NaN);
        INDArray dQ = Nd4j.create(DataType.FLOAT, batch, HEADS, T, D).assign(Float.NaN);
        INDArray dK = Nd4j.create(DataType.FLOAT, batch, KV, T, D).assign(Float.NaN);
        INDArray dV = Nd4j.create(DataType.FLOAT, batch, KV, T, D).assign(Float.NaN);
        ParallelAttention.forward(qa, ka, va, p, o, batch, HEADS, KV, T, D, scale, ranges);
        ParallelAttention.backward(doa, qa, ka, va, p, dP, dQ, dK, dV, batch, HEADS, KV, T, D, scale, ranges);

        // the reference, in double, straight from the mask rule
        INDArray mask = ctx.mask(window); // [batch, T·T], 0 or MASKED
        double[] wantO = new double[q.length];
        double[] wantDq = new double[q.length];
        double[] wantDk = new double[k.length];
        double[] wantDv = new double[v.length];
        int group = HEADS / KV;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < HEADS; h++) {
                int g = h / group;
                int qb = (b * HEADS + h) * T * D;
                int kb = (b * KV + g) * T * D;
                for (int t = 0; t < T; t++) {
                    double[] s = new double[T];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < T; j++) {
                        double dot = 0;
                        for (int c = 0; c < D; c++) {
                            dot += q[qb + t * D + c] * k[kb + j * D + c];
                        }
                        s[j] = dot * scale + mask.getDouble(b, (long) t * T + j);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < T; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    double[] dp = new double[T];
                    double rowDot = 0;
                    for (int j = 0; j < T; j++) {
                        s[j] /= sum;
                        assertEquals(s[j], p.getDouble(b, h, t, j), 2e-6, "P b" + b + " h" + h + " t" + t + " k" + j);
                        if (s[j] == 0.0) {
                            assertEquals(0.0, p.getDouble(b, h, t, j), 0.0, "masked P must be exactly 0");
                        }
                        for (int c = 0; c < D; c++) {
                            wantO[qb + t * D + c] += s[j] * v[kb + j * D + c];
                            dp[j] += dO[qb + t * D + c] * v[kb + j * D + c];
                            wantDv[kb + j * D + c] += s[j] * dO[qb + t * D + c];
                        }
                        rowDot += dp[j] * s[j];
                    }
                    for (int j = 0; j < T; j++) {
                        double ds = s[j] * (dp[j] - rowDot) * scale;
                        for (int c = 0; c < D; c++) {
                            wantDq[qb + t * D + c] += ds * k[kb + j * D + c];
                            wantDk[kb + j * D + c] += ds * q[qb + t * D + c];
                        }
                    }
                }
            }
        }
        assertClose("O", wantO, o);
        assertClose("dQ", wantDq, dQ);
        assertClose("dK", wantDk, dK);
        assertClose("dV", wantDv, dV);
    }

    private static double[] random(SplittableRandom r, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = r.nextDouble() * 2 - 1;
        }
        return out;
    }

    private static INDArray floats(double[] v, int batch, int heads) {
        return Nd4j.createFromArray(v).castTo(DataType.FLOAT).reshape(batch, heads, T, D);
    }

    private static void assertClose(String what, double[] want, INDArray got) {
        double[] g = got.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(want[i] - g[i]) / (1 + Math.abs(want[i])));
        }
        assertTrue(worst < 2e-5, what + ": worst relative error " + worst);
        assertTrue(Gemm.direct());
    }
}
