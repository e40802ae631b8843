package dev.finetune4j.model.layers;

import dev.finetune4j.nn.DirectRows;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The decoder's elementwise math as single passes in Java over the arrays' memory ({@link DirectRows}), where ND4J
 * would need 4–10 ops per formula, each a pass over memory plus 15–25 µs of call overhead. Every kernel reads a whole
 * row before it writes that row, so an output may be one of the inputs (in place) where a method says so.
 *
 * <p>Each kernel exists twice with the same loop body: over {@code float[]} rows for FLOAT arrays (bulk copies, loops
 * the JIT vectorises; sums over a row in four float partial sums, as vectorised torch kernels do) and over
 * {@code double[]} rows for DOUBLE (the gradient checks). {@code FusedOpsTest} checks that the two agree.
 */
final class FusedOps {
    private FusedOps() {
    }

    private static boolean isFloat(INDArray a) {
        return a.dataType() == DataType.FLOAT;
    }

    /** {@code Σ a[j]·b[j]} over {@code [0, n)} in four partial sums (no serial dependency chain). */
    static double dot(double[] a, double[] b, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < n; j += 4) {
            s0 += a[j] * b[j];
            s1 += a[j + 1] * b[j + 1];
            s2 += a[j + 2] * b[j + 2];
            s3 += a[j + 3] * b[j + 3];
        }
        for (; j < n; j++) {
            s0 += a[j] * b[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    static double dot(float[] a, float[] b, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int j = 0;
        for (; j + 3 < n; j += 4) {
            s0 += a[j] * b[j];
            s1 += a[j + 1] * b[j + 1];
            s2 += a[j + 2] * b[j + 2];
            s3 += a[j + 3] * b[j + 3];
        }
        for (; j < n; j++) {
            s0 += a[j] * b[j];
        }
        return ((double) s0 + s1) + ((double) s2 + s3);
    }

    // ------------------------------------------------------------------------------------------------ RMSNorm

    /**
     * RMSNorm of the rows of {@code x} ({@code [rows, dim]}): {@code y = w·x̂}, {@code x̂ = x·r}, {@code r = 1/sqrt(mean(x²)
     * + eps)}. With {@code residual}, first {@code x += residual} (written back into {@code x}: the residual stream).
     * {@code xhat} (an array like {@code x}) and {@code inv} ({@code [rows]}) receive x̂ and r when not null.
     */
    static void rmsNorm(INDArray x, INDArray residual, INDArray w, double eps, INDArray y, INDArray xhat,
                        double[] inv) {
        DirectRows xs = DirectRows.of(x);
        DirectRows rs = residual == null ? null : DirectRows.of(residual);
        DirectRows ys = DirectRows.of(y);
        DirectRows hs = xhat == null ? null : DirectRows.of(xhat);
        DirectRows wr = DirectRows.of(w);
        int dim = xs.cols();
        if (isFloat(x)) {
            float[] wv = new float[dim];
            wr.read(0, wv);
            float[] row = new float[dim];
            float[] res = rs == null ? null : new float[dim];
            float[] out = new float[dim];
            for (long r = 0; r < xs.rows(); r++) {
                xs.read(r, row);
                if (rs != null) {
                    rs.read(r, res);
                    for (int j = 0; j < dim; j++) {
                        row[j] += res[j];
                    }
                    xs.write(r, row);
                }
                double iv = 1.0 / Math.sqrt(dot(row, row, dim) / dim + eps);
                if (inv != null) {
                    inv[(int) r] = iv;
                }
                float ivf = (float) iv;
                for (int j = 0; j < dim; j++) {
                    row[j] *= ivf;
                }
                if (hs != null) {
                    hs.write(r, row);
                }
                for (int j = 0; j < dim; j++) {
                    out[j] = row[j] * wv[j];
                }
                ys.write(r, out);
            }
            return;
        }
        double[] wv = new double[dim];
        wr.read(0, wv);
        double[] row = new double[dim];
        double[] res = rs == null ? null : new double[dim];
        double[] out = new double[dim];
        for (long r = 0; r < xs.rows(); r++) {
            xs.read(r, row);
            if (rs != null) {
                rs.read(r, res);
                for (int j = 0; j < dim; j++) {
                    row[j] += res[j];
                }
                xs.write(r, row);
            }
            double iv = 1.0 / Math.sqrt(dot(row, row, dim) / dim + eps);
            if (inv != null) {
                inv[(int) r] = iv;
            }
            for (int j = 0; j < dim; j++) {
                row[j] *= iv;
            }
            if (hs != null) {
                hs.write(r, row);
            }
            for (int j = 0; j < dim; j++) {
                out[j] = row[j] * wv[j];
            }
            ys.write(r, out);
        }
    }

    /**
     * RMSNorm backward: {@code dx = r·(g − x̂·mean(g·x̂)) (+ addend)} with {@code g = dy·w}; adds {@code Σ_rows dy·x̂}
     * into {@code dw} when not null. {@code dx} may be {@code dy} (in place).
     */
    static void rmsNormBackward(INDArray dy, INDArray xhat, double[] inv, INDArray w, INDArray dx, INDArray addend,
                                double[] dw) {
        DirectRows ds = DirectRows.of(dy);
        DirectRows hs = DirectRows.of(xhat);
        DirectRows xs = DirectRows.of(dx);
        DirectRows as = addend == null ? null : DirectRows.of(addend);
        DirectRows wr = DirectRows.of(w);
        int dim = ds.cols();
        if (isFloat(dy)) {
            float[] wv = new float[dim];
            wr.read(0, wv);
            float[] a = new float[dim];
            float[] h = new float[dim];
            float[] add = as == null ? null : new float[dim];
            float[] dwRow = dw == null ? null : new float[dim];
            for (long r = 0; r < ds.rows(); r++) {
                ds.read(r, a);
                hs.read(r, h);
                if (dwRow != null) {
                    for (int j = 0; j < dim; j++) {
                        dwRow[j] += a[j] * h[j];
                    }
                }
                for (int j = 0; j < dim; j++) {
                    a[j] *= wv[j];
                }
                float dot = (float) (dot(a, h, dim) / dim);
                float iv = (float) inv[(int) r];
                for (int j = 0; j < dim; j++) {
                    a[j] = iv * (a[j] - h[j] * dot);
                }
                if (as != null) {
                    as.read(r, add);
                    for (int j = 0; j < dim; j++) {
                        a[j] += add[j];
                    }
                }
                xs.write(r, a);
            }
            if (dw != null) {
                for (int j = 0; j < dim; j++) {
                    dw[j] += dwRow[j];
                }
            }
            return;
        }
        double[] wv = new double[dim];
        wr.read(0, wv);
        double[] a = new double[dim];
        double[] h = new double[dim];
        double[] add = as == null ? null : new double[dim];
        for (long r = 0; r < ds.rows(); r++) {
            ds.read(r, a);
            hs.read(r, h);
            if (dw != null) {
                for (int j = 0; j < dim; j++) {
                    dw[j] += a[j] * h[j];
                }
            }
            for (int j = 0; j < dim; j++) {
                a[j] *= wv[j];
            }
            double dot = dot(a, h, dim) / dim;
            double iv = inv[(int) r];
            for (int j = 0; j < dim; j++) {
                a[j] = iv * (a[j] - h[j] * dot);
            }
            if (as != null) {
                as.read(r, add);
                for (int j = 0; j < dim; j++) {
                    a[j] += add[j];
                }
            }
            xs.write(r, a);
        }
    }

    // ------------------------------------------------------------------------------------------------ SwiGLU

    /**
     * {@code act = silu(g)·u} with {@code silu(g) = g·σ(g)}; {@code sig} receives σ(g) (kept for backward). FLOAT: one
     * pass, σ with the vectorised {@link #exp} (a {@code Math.exp} loop would be slower than ND4J's op); DOUBLE: σ as
     * ND4J's op, the rest in one pass.
     */
    static void siluMul(INDArray g, INDArray u, INDArray act, INDArray sig) {
        DirectRows gs = DirectRows.of(g);
        DirectRows us = DirectRows.of(u);
        DirectRows as = DirectRows.of(act);
        DirectRows ss = DirectRows.of(sig);
        int n = gs.cols();
        if (isFloat(g)) {
            // σ in the same pass, with the vectorised float exp: σ(x) = 1 / (1 + e^-x)
            float[] gv = new float[n];
            float[] uv = new float[n];
            float[] sv = new float[n];
            float[] tmp = new float[n];
            for (long r = 0; r < gs.rows(); r++) {
                gs.read(r, gv);
                us.read(r, uv);
                for (int j = 0; j < n; j++) {
                    sv[j] = -gv[j];
                }
                exp(sv, n, tmp);
                for (int j = 0; j < n; j++) {
                    float s = 1f / (1f + sv[j]);
                    sv[j] = s;
                    uv[j] *= gv[j] * s;
                }
                ss.write(r, sv);
                as.write(r, uv);
            }
            return;
        }
        Nd4j.exec(new Sigmoid(g, sig));
        double[] gv = new double[n];
        double[] uv = new double[n];
        double[] sv = new double[n];
        for (long r = 0; r < gs.rows(); r++) {
            gs.read(r, gv);
            us.read(r, uv);
            ss.read(r, sv);
            for (int j = 0; j < n; j++) {
                uv[j] *= gv[j] * sv[j];
            }
            as.write(r, uv);
        }
    }

    /**
     * Backward of {@link #siluMul} with {@code a = d/d act}: {@code du = a·silu(g)}, {@code dg = a·u·σ(g)·(1 + g·(1 −
     * σ(g)))}. {@code dg} may be {@code g} and {@code du} may be {@code u} (in place).
     */
    static void siluMulBackward(INDArray a, INDArray g, INDArray u, INDArray sig, INDArray dg, INDArray du) {
        DirectRows as = DirectRows.of(a);
        DirectRows gs = DirectRows.of(g);
        DirectRows us = DirectRows.of(u);
        DirectRows ss = DirectRows.of(sig);
        DirectRows dgs = DirectRows.of(dg);
        DirectRows dus = DirectRows.of(du);
        int n = as.cols();
        if (isFloat(a)) {
            float[] av = new float[n];
            float[] gv = new float[n];
            float[] uv = new float[n];
            float[] sv = new float[n];
            for (long r = 0; r < as.rows(); r++) {
                as.read(r, av);
                gs.read(r, gv);
                us.read(r, uv);
                ss.read(r, sv);
                for (int j = 0; j < n; j++) {
                    float s = sv[j];
                    float x = gv[j];
                    float ua = uv[j] * av[j];
                    uv[j] = av[j] * x * s;                 // du
                    gv[j] = ua * s * (1f + x * (1f - s));  // dg
                }
                dgs.write(r, gv);
                dus.write(r, uv);
            }
            return;
        }
        double[] av = new double[n];
        double[] gv = new double[n];
        double[] uv = new double[n];
        double[] sv = new double[n];
        for (long r = 0; r < as.rows(); r++) {
            as.read(r, av);
            gs.read(r, gv);
            us.read(r, uv);
            ss.read(r, sv);
            for (int j = 0; j < n; j++) {
                double s = sv[j];
                double x = gv[j];
                double ua = uv[j] * av[j];
                uv[j] = av[j] * x * s;                  // du
                gv[j] = ua * s * (1.0 + x * (1.0 - s)); // dg
            }
            dgs.write(r, gv);
            dus.write(r, uv);
        }
    }

    // ------------------------------------------------------------------------------------------------ attention

    /**
     * Softmax over the allowed keys, in place: {@code scores} is {@code [batch·heads·queryLen, keyLen]} (dense,
     * head-major as {@code [batch, heads, queryLen, keyLen]}), row {@code (b·heads + h)·queryLen + t} holds query t's
     * scores. Each row becomes {@code softmax} over the keys that {@code ranges} allows it and exactly 0 elsewhere
     * — what adding {@link SequenceContext#mask} and a full softmax give, but only the allowed range (under half
     * of a causal square) is read and exponentiated.
     */
    static void maskedSoftmaxInPlace(INDArray scores, int heads, SequenceContext.KeyRanges ranges) {
        DirectRows ps = DirectRows.of(scores);
        int keyLen = ps.cols();
        int tq = ranges.queryLen();
        if (keyLen != ranges.keyLen() || ps.rows() % ((long) heads * tq) != 0) {
            throw new IllegalArgumentException("scores [" + ps.rows() + ", " + keyLen + "] do not match " + heads
                    + " heads of " + tq + " queries over " + ranges.keyLen() + " keys");
        }
        int[] los = ranges.lo();
        int[] his = ranges.hi();
        boolean[] sparse = ranges.sparse();
        if (isFloat(scores)) {
            maskedSoftmaxFloat(ps, heads, ranges);
            return;
        }
        double[] vD = new double[keyLen];
        double[] zeroD = new double[keyLen];
        for (long r = 0; r < ps.rows(); r++) {
            int row = (int) ((r / ((long) heads * tq)) * tq + r % tq); // b·queryLen + t
            int lo = los[row];
            int n = his[row] - lo + 1;
            ps.read(r, lo, n, vD, 0);
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                if (!sparse[row] || ranges.allowed(row, lo + j)) {
                    max = Math.max(max, vD[j]);
                }
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                vD[j] = !sparse[row] || ranges.allowed(row, lo + j) ? Math.exp(vD[j] - max) : 0.0;
                sum += vD[j];
            }
            double inv = 1.0 / sum;
            for (int j = 0; j < n; j++) {
                vD[j] *= inv;
            }
            ps.write(r, 0, lo, zeroD, 0);
            ps.write(r, lo, n, vD, 0);
            ps.write(r, lo + n, keyLen - lo - n, zeroD, 0);
        }
    }

    /**
     * The FLOAT form of {@link #maskedSoftmaxInPlace}, one (sequence, head) block of {@code queryLen} rows at a time
     * ({@link #maskedSoftmaxRows}).
     */
    private static void maskedSoftmaxFloat(DirectRows ps, int heads, SequenceContext.KeyRanges ranges) {
        int tq = ranges.queryLen();
        SoftmaxScratch scratch = new SoftmaxScratch(ps.cols(), tq);
        for (long r0 = 0; r0 < ps.rows(); r0 += tq) {
            int rowBase = (int) (r0 / ((long) heads * tq)) * tq; // b·queryLen
            maskedSoftmaxRows(ps, r0, rowBase, tq, ranges, scratch);
        }
    }

    /** Buffers of {@link #maskedSoftmaxRows}, reused across calls by one thread. */
    static final class SoftmaxScratch {
        private float[] packed = new float[0];
        private float[] tmp = new float[0];
        private final float[] zero;
        private final int[] start;

        /** For rows of {@code keyLen} keys, at most {@code maxRows} rows per call. */
        SoftmaxScratch(int keyLen, int maxRows) {
            zero = new float[keyLen];
            start = new int[maxRows + 1];
        }
    }

    /**
     * Softmax in place of {@code count} rows of {@code ps} from row {@code psRow}, which hold the scores of the query
     * rows {@code rangeRow, rangeRow + 1, …} of {@code ranges}: over each row's allowed keys, exactly 0 elsewhere. The
     * rows' allowed ranges, each shifted by its max, are packed into one buffer and exponentiated in one
     * {@link #expShifted} call — a single long loop the JIT vectorises, where a row's own range (on average half a row)
     * is too short for the vector loop to pay.
     */
    static void maskedSoftmaxRows(DirectRows ps, long psRow, int rangeRow, int count, SequenceContext.KeyRanges ranges,
                                  SoftmaxScratch scratch) {
        int keyLen = ps.cols();
        int[] los = ranges.lo();
        int[] his = ranges.hi();
        boolean[] sparse = ranges.sparse();
        int[] start = scratch.start;
        start[0] = 0;
        for (int t = 0; t < count; t++) {
            int row = rangeRow + t;
            start[t + 1] = start[t] + his[row] - los[row] + 1;
        }
        if (scratch.packed.length < start[count]) {
            scratch.packed = new float[start[count]];
            scratch.tmp = new float[start[count]];
        }
        float[] packed = scratch.packed;
        for (int t = 0; t < count; t++) {
            int row = rangeRow + t;
            int lo = los[row];
            int o = start[t];
            int n = start[t + 1] - o;
            ps.read(psRow + t, lo, n, packed, o);
            if (sparse[row]) {
                for (int j = 0; j < n; j++) {
                    if (!ranges.allowed(row, lo + j)) {
                        packed[o + j] = Float.NEGATIVE_INFINITY;
                    }
                }
            }
            float max = max(packed, o, n);
            for (int j = o; j < o + n; j++) {
                packed[j] -= max;
            }
        }
        expShifted(packed, start[count], 0f, scratch.tmp);
        for (int t = 0; t < count; t++) {
            int row = rangeRow + t;
            int lo = los[row];
            int o = start[t];
            int n = start[t + 1] - o;
            if (sparse[row]) {
                for (int j = 0; j < n; j++) {
                    if (!ranges.allowed(row, lo + j)) {
                        packed[o + j] = 0f;
                    }
                }
            }
            float inv = (float) (1.0 / sum(packed, o, n));
            for (int j = o; j < o + n; j++) {
                packed[j] *= inv;
            }
            ps.write(psRow + t, 0, lo, scratch.zero, 0);
            ps.write(psRow + t, lo, n, packed, o);
            ps.write(psRow + t, lo + n, keyLen - lo - n, scratch.zero, 0);
        }
    }

    /** Softmax backward of one row in place, over its first {@code n} entries: {@code dP ← P·(dP − Σ dP·P)}. */
    static void softmaxBackwardRow(float[] dp, float[] p, int n) {
        float dot = (float) dot(dp, p, n);
        for (int j = 0; j < n; j++) {
            dp[j] = p[j] * (dp[j] - dot);
        }
    }

    /** {@code max v[j]} over {@code [from, from + n)} in four partial maxima (no serial dependency chain). */
    static float max(float[] v, int from, int n) {
        float m0 = Float.NEGATIVE_INFINITY;
        float m1 = Float.NEGATIVE_INFINITY;
        float m2 = Float.NEGATIVE_INFINITY;
        float m3 = Float.NEGATIVE_INFINITY;
        int j = from;
        int end = from + n;
        for (; j + 3 < end; j += 4) {
            m0 = Math.max(m0, v[j]);
            m1 = Math.max(m1, v[j + 1]);
            m2 = Math.max(m2, v[j + 2]);
            m3 = Math.max(m3, v[j + 3]);
        }
        for (; j < end; j++) {
            m0 = Math.max(m0, v[j]);
        }
        return Math.max(Math.max(m0, m1), Math.max(m2, m3));
    }

    /** {@code Σ v[j]} over {@code [from, from + n)} in four partial sums. */
    static double sum(float[] v, int from, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int j = from;
        int end = from + n;
        for (; j + 3 < end; j += 4) {
            s0 += v[j];
            s1 += v[j + 1];
            s2 += v[j + 2];
            s3 += v[j + 3];
        }
        for (; j < end; j++) {
            s0 += v[j];
        }
        return ((double) s0 + s1) + ((double) s2 + s3);
    }

    /** Below this exp(x) is not a normal float: {@link #expShifted} clamps its argument here (e^-87.3 ≈ 1.2e-38). */
    private static final float EXP_MIN_ARG = -87.3f;
    /** Above this exp(x) overflows a float: {@link #expShifted} clamps its argument here (e^88 ≈ 1.65e38). */
    private static final float EXP_MAX_ARG = 88f;

    /** {@code v[j] = e^v[j]} for {@code j < n}, arguments clamped to [{@value #EXP_MIN_ARG}, {@value #EXP_MAX_ARG}]. */
    static void exp(float[] v, int n, float[] tmp) {
        expShifted(v, n, 0f, tmp);
    }

    /**
     * {@code v[j] = e^(v[j] − shift)} for {@code j < n} (a softmax passes its max as the shift): relative error about
     * 1e-7 (float rounding); arguments are clamped to [{@value #EXP_MIN_ARG}, {@value #EXP_MAX_ARG}], so that far below
     * the range gives ~1e-38 instead of 0 or a denormal, and nothing overflows to infinity. A Cephes-style
     * float exp ({@code 2^k · p(f)}, {@code k} rounded with the 1.5·2²³ trick) written as two loops of plain float/int
     * arithmetic that the JIT vectorises (measured ~1 ns per element against ~5–13 for {@code Math.exp});
     * {@code tmp} (at least {@code n} long) is scratch.
     */
    static void expShifted(float[] v, int n, float shift, float[] tmp) {
        final float round = 12582912f; // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits
        for (int j = 0; j < n; j++) {
            float x = Math.min(Math.max(v[j] - shift, EXP_MIN_ARG), EXP_MAX_ARG);
            float t = x * 1.44269504f + round;
            float k = t - round;
            float r = x - k * 0.693145751953125f - k * 1.428606765330187e-06f; // x − k·ln2 in two parts
            float p = 1.9875691500E-4f;
            p = p * r + 1.3981999507E-3f;
            p = p * r + 8.3334519073E-3f;
            p = p * r + 4.1665795894E-2f;
            p = p * r + 1.6666665459E-1f;
            p = p * r + 5.0000001201E-1f;
            v[j] = p * r * r + r + 1f;
            tmp[j] = t;
        }
        for (int j = 0; j < n; j++) {
            // the low bits of t hold k; (k + 127) << 23 is the float 2^k (the high bits of t shift out)
            v[j] *= Float.intBitsToFloat((Float.floatToRawIntBits(tmp[j]) + 127) << 23);
        }
    }

    /** Softmax backward in place: {@code dP ← P·(dP − rowsum(dP·P))}, both {@code [rows, cols]}. */
    static void softmaxBackwardInPlace(INDArray dP, INDArray p) {
        DirectRows ds = DirectRows.of(dP);
        DirectRows ps = DirectRows.of(p);
        int n = ds.cols();
        if (isFloat(dP)) {
            float[] dv = new float[n];
            float[] pv = new float[n];
            for (long r = 0; r < ds.rows(); r++) {
                ds.read(r, dv);
                ps.read(r, pv);
                float dot = (float) dot(dv, pv, n);
                for (int j = 0; j < n; j++) {
                    dv[j] = pv[j] * (dv[j] - dot);
                }
                ds.write(r, dv);
            }
            return;
        }
        double[] dv = new double[n];
        double[] pv = new double[n];
        for (long r = 0; r < ds.rows(); r++) {
            ds.read(r, dv);
            ps.read(r, pv);
            double dot = dot(dv, pv, n);
            for (int j = 0; j < n; j++) {
                dv[j] = pv[j] * (dv[j] - dot);
            }
            ds.write(r, dv);
        }
    }

    /**
     * {@link #softmaxBackwardInPlace} for the probabilities of {@link #maskedSoftmaxInPlace} (same layout, same
     * {@code ranges}): P is exactly 0 outside each row's allowed range, and so is dS, so only the range is read and
     * computed and the rest of the row is written with zeros.
     */
    static void maskedSoftmaxBackwardInPlace(INDArray dP, INDArray p, int heads, SequenceContext.KeyRanges ranges) {
        DirectRows ds = DirectRows.of(dP);
        DirectRows ps = DirectRows.of(p);
        int keyLen = ds.cols();
        int tq = ranges.queryLen();
        if (keyLen != ranges.keyLen() || ps.cols() != keyLen || ps.rows() != ds.rows()
                || ds.rows() % ((long) heads * tq) != 0) {
            throw new IllegalArgumentException("dP [" + ds.rows() + ", " + keyLen + "] does not match " + heads
                    + " heads of " + tq + " queries over " + ranges.keyLen() + " keys");
        }
        int[] los = ranges.lo();
        int[] his = ranges.hi();
        boolean f = isFloat(dP);
        float[] dvF = f ? new float[keyLen] : null;
        float[] pvF = f ? new float[keyLen] : null;
        float[] zeroF = f ? new float[keyLen] : null;
        double[] dvD = f ? null : new double[keyLen];
        double[] pvD = f ? null : new double[keyLen];
        double[] zeroD = f ? null : new double[keyLen];
        for (long r = 0; r < ds.rows(); r++) {
            int row = (int) ((r / ((long) heads * tq)) * tq + r % tq); // b·queryLen + t
            int lo = los[row];
            int n = his[row] - lo + 1;
            if (f) {
                ds.read(r, lo, n, dvF, 0);
                ps.read(r, lo, n, pvF, 0);
                softmaxBackwardRow(dvF, pvF, n);
                ds.write(r, 0, lo, zeroF, 0);
                ds.write(r, lo, n, dvF, 0);
                ds.write(r, lo + n, keyLen - lo - n, zeroF, 0);
            } else {
                ds.read(r, lo, n, dvD, 0);
                ps.read(r, lo, n, pvD, 0);
                double dot = dot(dvD, pvD, n);
                for (int j = 0; j < n; j++) {
                    dvD[j] = pvD[j] * (dvD[j] - dot);
                }
                ds.write(r, 0, lo, zeroD, 0);
                ds.write(r, lo, n, dvD, 0);
                ds.write(r, lo + n, keyLen - lo - n, zeroD, 0);
            }
        }
    }

    /**
     * Token-major {@code x [b·t, n·d]} to head-major {@code out [b, n, t, d]} (dense), applying RoPE on the way when
     * {@code cos}/{@code sin} ({@code [b·t, d/2]}, row-major) are given: per head, {@code [x1, x2] → [x1·cos − x2·sin,
     * x2·cos + x1·sin]} (HF's {@code x·cos + rotate_half(x)·sin}).
     */
    static void toHeads(INDArray x, int b, int t, int n, int d, RopeRows rope, INDArray out) {
        DirectRows xs = DirectRows.of(x);
        DirectRows os = DirectRows.flat(out, d);
        int half = d / 2;
        boolean f = isFloat(x);
        float[] rowF = f ? new float[n * d] : null;
        float[] headF = f ? new float[d] : null;
        double[] rowD = f ? null : new double[n * d];
        double[] headD = f ? null : new double[d];
        double[][] cosSin = rope == null ? null : rope.doubles();
        float[] cosF = f && rope != null ? rope.floats()[0] : null;
        float[] sinF = f && rope != null ? rope.floats()[1] : null;
        for (int s = 0; s < b; s++) {
            for (int i = 0; i < t; i++) {
                int tok = s * t + i;
                int c = tok * half;
                if (f) {
                    xs.read(tok, rowF);
                } else {
                    xs.read(tok, rowD);
                }
                for (int h = 0; h < n; h++) {
                    int o = h * d;
                    long dst = ((long) s * n + h) * t + i;
                    if (f) {
                        if (cosF == null) {
                            os.write(dst, 0, d, rowF, o);
                            continue;
                        }
                        for (int j = 0; j < half; j++) {
                            float x1 = rowF[o + j];
                            float x2 = rowF[o + half + j];
                            headF[j] = x1 * cosF[c + j] - x2 * sinF[c + j];
                            headF[half + j] = x2 * cosF[c + j] + x1 * sinF[c + j];
                        }
                        os.write(dst, headF);
                    } else {
                        if (cosSin == null) {
                            os.write(dst, 0, d, rowD, o);
                            continue;
                        }
                        double[] cos = cosSin[0];
                        double[] sin = cosSin[1];
                        for (int j = 0; j < half; j++) {
                            double x1 = rowD[o + j];
                            double x2 = rowD[o + half + j];
                            headD[j] = x1 * cos[c + j] - x2 * sin[c + j];
                            headD[half + j] = x2 * cos[c + j] + x1 * sin[c + j];
                        }
                        os.write(dst, headD);
                    }
                }
            }
        }
    }

    /**
     * Head-major {@code heads [b, n, t, d]} back to token-major {@code out [b·t, n·d]}; with {@code cosSin}, applies
     * the transpose of {@link #toHeads}'s rotation ({@code [g1, g2] → [g1·cos + g2·sin, g2·cos − g1·sin]}: the
     * gradient of RoPE).
     */
    static void fromHeads(INDArray heads, int b, int t, int n, int d, RopeRows rope, INDArray out) {
        DirectRows hs = DirectRows.flat(heads, d);
        DirectRows os = DirectRows.of(out);
        int half = d / 2;
        boolean f = isFloat(heads);
        float[] rowF = f ? new float[n * d] : null;
        float[] headF = f ? new float[d] : null;
        double[] rowD = f ? null : new double[n * d];
        double[] headD = f ? null : new double[d];
        double[][] cosSin = rope == null ? null : rope.doubles();
        float[] cosF = f && rope != null ? rope.floats()[0] : null;
        float[] sinF = f && rope != null ? rope.floats()[1] : null;
        for (int s = 0; s < b; s++) {
            for (int i = 0; i < t; i++) {
                int tok = s * t + i;
                int c = tok * half;
                for (int h = 0; h < n; h++) {
                    int o = h * d;
                    long src = ((long) s * n + h) * t + i;
                    if (f) {
                        if (cosF == null) {
                            hs.read(src, 0, d, rowF, o);
                            continue;
                        }
                        hs.read(src, headF);
                        for (int j = 0; j < half; j++) {
                            float g1 = headF[j];
                            float g2 = headF[half + j];
                            rowF[o + j] = g1 * cosF[c + j] + g2 * sinF[c + j];
                            rowF[o + half + j] = g2 * cosF[c + j] - g1 * sinF[c + j];
                        }
                    } else {
                        if (cosSin == null) {
                            hs.read(src, 0, d, rowD, o);
                            continue;
                        }
                        double[] cos = cosSin[0];
                        double[] sin = cosSin[1];
                        hs.read(src, headD);
                        for (int j = 0; j < half; j++) {
                            double g1 = headD[j];
                            double g2 = headD[half + j];
                            rowD[o + j] = g1 * cos[c + j] + g2 * sin[c + j];
                            rowD[o + half + j] = g2 * cos[c + j] - g1 * sin[c + j];
                        }
                    }
                }
                if (f) {
                    os.write(tok, rowF);
                } else {
                    os.write(tok, rowD);
                }
            }
        }
    }

    /** RoPE's cos and sin per token row ({@code [rows · headDim/2]} each), in double and rounded to float. */
    static final class RopeRows {
        private final double[][] doubles;
        private float[][] floats;

        RopeRows(double[] cos, double[] sin) {
            this.doubles = new double[][] {cos, sin};
        }

        double[][] doubles() {
            return doubles;
        }

        float[][] floats() {
            if (floats == null) {
                floats = new float[][] {toFloat(doubles[0]), toFloat(doubles[1])};
            }
            return floats;
        }

        private static float[] toFloat(double[] v) {
            float[] out = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = (float) v[i];
            }
            return out;
        }
    }
}
