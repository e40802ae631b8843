package dev.finetune4j.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The FLOAT loops of {@link FusedOps} against the DOUBLE ones (which the finite-difference checks of
 * {@code LayerGradientTest} and {@code CausalLMGradientTest} verify), on the same inputs, and the kernels' own algebra.
 */
class FusedOpsTest {
    private static final DataType F = DataType.FLOAT;
    private static final DataType D = DataType.DOUBLE;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(42);
    }

    private static INDArray randn(long... shape) {
        return Nd4j.randn(D, shape);
    }

    private static INDArray f(INDArray d) {
        return d.castTo(F);
    }

    private static void assertClose(INDArray want, INDArray got, double tol) {
        double scale = Math.max(1, want.amaxNumber().doubleValue());
        double diff = want.sub(got.castTo(D)).amaxNumber().doubleValue();
        assertEquals(0, diff / scale, tol, "max |float - double| " + diff);
    }

    @Test
    void rmsNormWithResidualFloatEqualsDouble() {
        int rows = 5;
        int dim = 37;
        INDArray x = randn(rows, dim);
        INDArray res = randn(rows, dim);
        INDArray w = randn(dim);
        INDArray xd = x.dup();
        INDArray yd = Nd4j.create(D, rows, dim);
        INDArray hd = Nd4j.create(D, rows, dim);
        double[] invD = new double[rows];
        FusedOps.rmsNorm(xd, res, w, 1e-6, yd, hd, invD);
        INDArray xf = f(x);
        INDArray yf = Nd4j.create(F, rows, dim);
        INDArray hf = Nd4j.create(F, rows, dim);
        double[] invF = new double[rows];
        FusedOps.rmsNorm(xf, f(res), f(w), 1e-6, yf, hf, invF);
        INDArray sum = x.add(res);
        assertClose(sum, xd, 1e-15);
        assertClose(sum, xf, 1e-6);
        assertClose(yd, yf, 1e-6);
        assertClose(hd, hf, 1e-6);
        for (int r = 0; r < rows; r++) {
            double ms = sum.getRow(r).mul(sum.getRow(r)).meanNumber().doubleValue();
            assertEquals(1 / Math.sqrt(ms + 1e-6), invD[r], 1e-12);
            assertEquals(invD[r], invF[r], 1e-5 * invD[r]);
        }
        assertClose(sum.mulColumnVector(Nd4j.createFromArray(invD).reshape(rows, 1)).mulRowVector(w), yd, 1e-12);
    }

    @Test
    void rmsNormBackwardInPlaceFloatEqualsDouble() {
        int rows = 4;
        int dim = 50;
        INDArray x = randn(rows, dim);
        INDArray w = randn(dim);
        INDArray dy = randn(rows, dim);
        INDArray add = randn(rows, dim);
        INDArray xhat = Nd4j.create(D, rows, dim);
        double[] inv = new double[rows];
        FusedOps.rmsNorm(x.dup(), null, w, 1e-6, Nd4j.create(D, rows, dim), xhat, inv);
        INDArray dxd = dy.dup();
        double[] dwd = new double[dim];
        FusedOps.rmsNormBackward(dxd, xhat, inv, w, dxd, add, dwd);
        INDArray dxf = f(dy);
        double[] dwf = new double[dim];
        FusedOps.rmsNormBackward(dxf, f(xhat), inv, f(w), dxf, f(add), dwf);
        assertClose(dxd, dxf, 2e-6);
        assertClose(Nd4j.createFromArray(dwd), Nd4j.createFromArray(dwf), 2e-6);
        assertClose(dy.mul(xhat).sum(0), Nd4j.createFromArray(dwd), 1e-12);
    }

    @Test
    void swiGluForwardAndBackwardFloatEqualDouble() {
        int rows = 3;
        int n = 41;
        INDArray g = randn(rows, n).muli(3);
        INDArray u = randn(rows, n);
        INDArray a = randn(rows, n);
        INDArray actD = Nd4j.create(D, rows, n);
        INDArray sigD = Nd4j.create(D, rows, n);
        FusedOps.siluMul(g, u, actD, sigD);
        INDArray actF = Nd4j.create(F, rows, n);
        INDArray sigF = Nd4j.create(F, rows, n);
        FusedOps.siluMul(f(g), f(u), actF, sigF);
        assertClose(actD, actF, 1e-6);
        for (int i = 0; i < n; i++) {
            double gi = g.getDouble(1, i);
            assertEquals(gi / (1 + Math.exp(-gi)) * u.getDouble(1, i), actD.getDouble(1, i), 1e-12);
        }
        INDArray dgD = g.dup();
        INDArray duD = u.dup();
        FusedOps.siluMulBackward(a, dgD, duD, sigD, dgD, duD);
        INDArray dgF = f(g);
        INDArray duF = f(u);
        FusedOps.siluMulBackward(f(a), dgF, duF, sigF, dgF, duF);
        assertClose(dgD, dgF, 2e-6);
        assertClose(duD, duF, 2e-6);
    }

    @Test
    void softmaxBackwardFloatEqualsDouble() {
        INDArray s = randn(6, 19);
        INDArray p = Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax(s, s.dup(), 1))[0];
        INDArray dp = randn(6, 19);
        INDArray dd = dp.dup();
        FusedOps.softmaxBackwardInPlace(dd, p);
        INDArray df = f(dp);
        FusedOps.softmaxBackwardInPlace(df, f(p));
        assertClose(dd, df, 1e-6);
        INDArray want = p.mul(dp.subColumnVector(dp.mul(p).sum(true, 1)));
        assertClose(want, dd, 1e-12);
    }

    @Test
    void ropeToHeadsAndBackIsTheIdentityAndFloatEqualsDouble() {
        int b = 2;
        int t = 3;
        int n = 2;
        int d = 6;
        RotaryEmbedding rope = new RotaryEmbedding(new float[] {1f, 0.1f, 0.01f}, d);
        int[] pos = {0, 5, 2, 1, 1, 9};
        double[][] cs = rope.cosSin(pos);
        FusedOps.RopeRows rows = new FusedOps.RopeRows(cs[0], cs[1]);
        INDArray x = randn((long) b * t, (long) n * d);
        INDArray hd = Nd4j.create(D, b, n, t, d);
        FusedOps.toHeads(x, b, t, n, d, rows, hd);
        INDArray hf = Nd4j.create(F, b, n, t, d);
        FusedOps.toHeads(f(x), b, t, n, d, rows, hf);
        assertClose(hd, hf, 1e-6);
        // against RotaryEmbedding.apply (the reference form) and the permutation
        INDArray[] tables = rope.tables(pos, n, D);
        INDArray roped = rope.apply(x, tables[0], tables[1]);
        assertClose(roped.reshape('c', b, t, n, d).permute(0, 2, 1, 3).dup('c'), hd, 1e-15);
        // the backward rotation is the transpose, i.e. the inverse: back to x (to float precision, because cos and sin
        // are float32 values as in HF, so cos² + sin² = 1 ± 6e-8)
        INDArray back = Nd4j.create(D, (long) b * t, (long) n * d);
        FusedOps.fromHeads(hd, b, t, n, d, rows, back);
        assertClose(x, back, 1e-6);
        INDArray plain = Nd4j.create(D, b, n, t, d);
        FusedOps.toHeads(x, b, t, n, d, null, plain);
        assertClose(x.reshape('c', b, t, n, d).permute(0, 2, 1, 3).dup('c'), plain, 0);
    }

    /** The plain form: scores + {@link SequenceContext#mask}, then a softmax over the whole row, in double. */
    private static INDArray maskedSoftmaxReference(INDArray scores, int batch, int heads, int t, INDArray mask) {
        INDArray out = scores.dup();
        for (int r = 0; r < scores.size(0); r++) {
            int b = (int) (r / ((long) heads * t));
            int q = r % t;
            double max = Double.NEGATIVE_INFINITY;
            double[] v = new double[t];
            for (int s = 0; s < t; s++) {
                v[s] = scores.getDouble(r, s) + mask.getDouble(b, (long) q * t + s);
                max = Math.max(max, v[s]);
            }
            double sum = 0;
            for (int s = 0; s < t; s++) {
                v[s] = Math.exp(v[s] - max);
                sum += v[s];
            }
            for (int s = 0; s < t; s++) {
                out.putScalar(r, s, v[s] / sum);
            }
        }
        return out;
    }

    @Test
    void maskedSoftmaxMatchesMaskPlusSoftmaxForPaddedPackedAndWindowedMasks() {
        int batch = 4;
        int t = 9;
        int heads = 3;
        int[] segments = {
            1, 1, 1, 2, 2, 2, 2, 0, 0,   // two packed examples, then right padding
            0, 0, 0, 1, 1, 1, 1, 1, 1,   // left padding, then one example
            1, 1, 2, 2, 1, 1, 3, 3, 3,   // a segment id that comes back (the rule compares ids, not runs)
            1, 1, 1, 1, 1, 1, 1, 1, 1};  // plain causal
        int[] positions = new int[batch * t];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i % t;
        }
        RotaryEmbedding rope = new RotaryEmbedding(new float[] {1f, 0.1f}, 4);
        for (int window : new int[] {0, 3}) {
            SequenceContext ctx = SequenceContext.forBatch(batch, t, positions, segments, D, rope);
            INDArray scores = randn((long) batch * heads * t, t).muli(4);
            INDArray want = maskedSoftmaxReference(scores, batch, heads, t, ctx.mask(window));
            // pool arrays hold garbage: the kernel must write every element, zeros included
            INDArray dd = scores.dup();
            FusedOps.maskedSoftmaxInPlace(dd, heads, ctx.keyRanges(window));
            assertClose(want, dd, 1e-14);
            INDArray ff = f(scores);
            FusedOps.maskedSoftmaxInPlace(ff, heads, ctx.keyRanges(window));
            assertClose(want, ff, 1e-6);
            for (int r = 0; r < want.size(0); r++) {
                for (int s = 0; s < t; s++) {
                    if (want.getDouble(r, s) == 0.0) {
                        assertEquals(0.0, dd.getDouble(r, s), "double row " + r + " key " + s + " window " + window);
                        assertEquals(0.0, ff.getDouble(r, s), "float row " + r + " key " + s + " window " + window);
                    } else {
                        assertEquals(true, dd.getDouble(r, s) > 0, "row " + r + " key " + s);
                    }
                }
            }
            // backward over the allowed ranges only equals the full-row backward (P is 0 elsewhere), zeros included
            INDArray dp = randn((long) batch * heads * t, t);
            INDArray fullD = dp.dup();
            FusedOps.softmaxBackwardInPlace(fullD, dd);
            INDArray rangedD = dp.dup();
            FusedOps.maskedSoftmaxBackwardInPlace(rangedD, dd, heads, ctx.keyRanges(window));
            assertClose(fullD, rangedD, 1e-14);
            INDArray rangedF = f(dp);
            FusedOps.maskedSoftmaxBackwardInPlace(rangedF, ff, heads, ctx.keyRanges(window));
            assertClose(fullD, rangedF, 1e-6);
            for (int r = 0; r < want.size(0); r++) {
                for (int s = 0; s < t; s++) {
                    if (want.getDouble(r, s) == 0.0) {
                        assertEquals(0.0, rangedD.getDouble(r, s), 0.0, "dS row " + r + " key " + s);
                        assertEquals(0.0, rangedF.getDouble(r, s), 0.0, "dS row " + r + " key " + s);
                    }
                }
            }
            // a padding query attends to itself alone
            assertEquals(1.0, dd.getDouble(7, 7), 0.0); // sequence 0, head 0, query 7
            ctx.close();
        }
    }

    @Test
    void floatExpIsAccurateOverTheSoftmaxRange() {
        int n = 20001;
        float[] v = new float[n];
        float[] tmp = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = -87f * i / (n - 1); // [-87, 0]
        }
        float[] x = v.clone();
        FusedOps.expShifted(v, n, 0f, tmp);
        for (int i = 0; i < n; i++) {
            double want = Math.exp(x[i]);
            assertEquals(0, (v[i] - want) / want, 2.5e-7, "exp(" + x[i] + ")");
        }
        assertEquals(1f, v[0], 0f);
        // shifted, and far below the range: a tiny positive number (float exp would give 0 or a denormal)
        float[] w = {3f, 2.5f, -200f, Float.NEGATIVE_INFINITY};
        FusedOps.expShifted(w, w.length, 3f, new float[4]);
        assertEquals(1f, w[0], 0f);
        assertEquals(Math.exp(-0.5), w[1], 1e-7);
        assertEquals(true, w[2] >= 0 && w[2] < 2e-38, "tiny " + w[2]);
        assertEquals(true, w[3] >= 0 && w[3] < 2e-38, "tiny " + w[3]);
        // positive arguments (the sigmoid's e^-x), clamped below float overflow
        float[] p = {1f, 10f, 80f, 100f, Float.POSITIVE_INFINITY};
        FusedOps.exp(p, p.length, new float[5]);
        assertEquals(0, (p[0] - Math.E) / Math.E, 2.5e-7);
        assertEquals(0, (p[1] - Math.exp(10)) / Math.exp(10), 2.5e-7);
        assertEquals(0, (p[2] - Math.exp(80)) / Math.exp(80), 2.5e-7);
        assertEquals(0, (p[3] - Math.exp(88)) / Math.exp(88), 2.5e-7);
        assertEquals(0, (p[4] - Math.exp(88)) / Math.exp(88), 2.5e-7);
    }

    @Test
    void siluMulFloatWithJavaSigmoidEqualsNd4jDouble() {
        INDArray g = randn(7, 301).muli(6);
        g.putScalar(0, 0, 200.0); // saturated σ both ways
        g.putScalar(0, 1, -200.0);
        INDArray u = randn(7, 301);
        INDArray actD = Nd4j.create(D, 7, 301);
        INDArray sigD = Nd4j.create(D, 7, 301);
        FusedOps.siluMul(g, u, actD, sigD);
        INDArray actF = Nd4j.create(F, 7, 301);
        INDArray sigF = Nd4j.create(F, 7, 301);
        FusedOps.siluMul(f(g), f(u), actF, sigF);
        assertClose(sigD, sigF, 1e-6);
        assertClose(actD, actF, 1e-6);
        assertClose(g.mul(u).div(Transforms.exp(g.neg(), true).addi(1)), actD, 1e-12);
    }
}
