package dev.finetune4j.nn;

import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reads and writes the rows of a FLOAT or DOUBLE ND4J array in place, from Java, as {@code double[]} rows.
 *
 * <p>Why: every ND4J op call costs 15–25 µs before any work (measured on the CPU backend, 1.0.0-M2.1), and a layer's
 * elementwise math (RMSNorm, RoPE, SiLU, softmax backward, AdamW) takes 4–10 such ops, each a full pass over memory.
 * A loop in Java over the same memory does the whole formula in one pass with no call overhead. Rows are copied into
 * a {@code double[]} (one bulk copy, then a widening loop for FLOAT), computed on in double precision, and written
 * back, so one loop body serves both the FLOAT training path and the DOUBLE gradient checks.
 *
 * <p>FLOAT arrays can also be read and written as {@code float[]} rows (bulk copies without conversion: the fast path,
 * about 6x faster than widening to double, which the JIT does not vectorise).
 *
 * <p>The array must be 1-D or 2-D with unit column stride (any row stride: a column block of a wider matrix works);
 * {@link #flat} sees a dense array of any rank as one row. Not thread-safe (it keeps a conversion buffer): one
 * instance per thread.
 */
public abstract class DirectRows {
    private final long rows;
    private final int cols;
    private final long rowStride;
    protected final long base;

    private DirectRows(long rows, int cols, long rowStride, long base) {
        this.rows = rows;
        this.cols = cols;
        this.rowStride = rowStride;
        this.base = base;
    }

    /** Rows of a 2-D array ({@code [rows, cols]}, unit column stride) or the single row of a 1-D array. */
    public static DirectRows of(INDArray a) {
        if (a.rank() == 1) {
            if (a.length() > 1 && a.stride(0) != 1) {
                throw new IllegalArgumentException("a 1-D array needs unit stride, got " + a.stride(0));
            }
            return create(a, 1, Math.toIntExact(a.length()), a.length());
        }
        if (a.rank() != 2) {
            throw new IllegalArgumentException("rows of a 1-D or 2-D array, not rank " + a.rank());
        }
        if (a.size(1) > 1 && a.stride(1) != 1) {
            throw new IllegalArgumentException("rows need unit column stride, got strides " + Arrays.toString(a.stride()));
        }
        return create(a, a.size(0), Math.toIntExact(a.size(1)), a.size(0) > 1 ? a.stride(0) : a.size(1));
    }

    /**
     * A dense C-order array of any rank seen as {@code length / cols} rows of {@code cols} elements (e.g. a weight
     * processed block by block).
     */
    public static DirectRows flat(INDArray a, int cols) {
        if (!isDenseC(a)) {
            throw new IllegalArgumentException("a dense C-order array is needed, got strides " + Arrays.toString(a.stride())
                    + " for shape " + Arrays.toString(a.shape()));
        }
        long n = a.length();
        if (n % cols != 0) {
            throw new IllegalArgumentException(n + " elements are not rows of " + cols);
        }
        return create(a, n / cols, cols, cols);
    }

    /** Whether {@code a} is laid out densely in C order (views included). */
    public static boolean isDenseC(INDArray a) {
        long expected = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) != 1 && a.stride(d) != expected) {
                return false;
            }
            expected *= a.size(d);
        }
        return true;
    }

    private static DirectRows create(INDArray a, long rows, int cols, long rowStride) {
        DataType t = a.dataType();
        long end = a.offset() + (rows - 1) * rowStride + cols;
        if (t == DataType.FLOAT) {
            if (end > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("array too large for direct access (" + end + " elements)");
            }
            return new OfFloat(a, rows, cols, rowStride);
        }
        if (t == DataType.DOUBLE) {
            if (end > Integer.MAX_VALUE / 2) {
                throw new IllegalArgumentException("array too large for direct access (" + end + " elements)");
            }
            return new OfDouble(a, rows, cols, rowStride);
        }
        throw new IllegalArgumentException("FLOAT or DOUBLE arrays only, not " + t);
    }

    /** Whether {@link #flat} can address {@code a}: FLOAT or DOUBLE, dense C order, under 2 GiB from its buffer start. */
    public static boolean addressable(INDArray a) {
        DataType t = a.dataType();
        long bytes = (a.offset() + a.length()) * t.width();
        return (t == DataType.FLOAT || t == DataType.DOUBLE) && bytes <= Integer.MAX_VALUE && isDenseC(a);
    }

    /** Sets every element of a dense array ({@link #addressable}) to {@code value}. */
    public static void fill(INDArray a, double value) {
        int n = Math.toIntExact(a.length());
        if (n == 0) {
            return;
        }
        DirectRows rows = flat(a, n);
        double[] b = new double[Math.min(4096, n)];
        java.util.Arrays.fill(b, value);
        for (int from = 0; from < n; from += b.length) {
            rows.write(0, from, Math.min(b.length, n - from), b, 0);
        }
    }

    /**
     * Copies a column-major (F-order, dense) {@code [rows, cols]} array into a row-major (C-order, dense) one, in
     * 64×64 tiles. ND4J's own {@code assign} between the two orders runs ~8x slower (8.5 ms vs 1 ms for 256×4864).
     */
    public static void copyColumnMajorToRowMajor(INDArray src, INDArray dst) {
        if (src.rank() != 2 || dst.rank() != 2 || src.size(0) != dst.size(0) || src.size(1) != dst.size(1)
                || src.dataType() != dst.dataType()) {
            throw new IllegalArgumentException("same-shape 2-D arrays of one type needed");
        }
        int rows = Math.toIntExact(src.size(0));
        int cols = Math.toIntExact(src.size(1));
        if ((rows > 1 && src.stride(0) != 1) || (cols > 1 && src.stride(1) != rows)) {
            throw new IllegalArgumentException("source must be dense column-major, strides " + Arrays.toString(src.stride()));
        }
        if (!isDenseC(dst)) {
            throw new IllegalArgumentException("target must be dense row-major, strides " + Arrays.toString(dst.stride()));
        }
        // the source as `cols` rows of `rows` elements (its columns), the target as its rows
        DirectRows s = create(src, cols, rows, rows);
        DirectRows d = create(dst, rows, cols, cols);
        final int tile = 64;
        if (s.isFloat()) {
            float[] t = new float[tile * tile];
            float[] row = new float[tile];
            for (int jb = 0; jb < cols; jb += tile) {
                int nj = Math.min(tile, cols - jb);
                for (int ib = 0; ib < rows; ib += tile) {
                    int ni = Math.min(tile, rows - ib);
                    for (int j = 0; j < nj; j++) {
                        s.read(jb + j, ib, ni, t, j * tile);
                    }
                    for (int i = 0; i < ni; i++) {
                        for (int j = 0; j < nj; j++) {
                            row[j] = t[j * tile + i];
                        }
                        d.write(ib + i, jb, nj, row, 0);
                    }
                }
            }
            return;
        }
        double[] t = new double[tile * tile];
        double[] row = new double[tile];
        for (int jb = 0; jb < cols; jb += tile) {
            int nj = Math.min(tile, cols - jb);
            for (int ib = 0; ib < rows; ib += tile) {
                int ni = Math.min(tile, rows - ib);
                for (int j = 0; j < nj; j++) {
                    s.read(jb + j, ib, ni, t, j * tile);
                }
                for (int i = 0; i < ni; i++) {
                    for (int j = 0; j < nj; j++) {
                        row[j] = t[j * tile + i];
                    }
                    d.write(ib + i, jb, nj, row, 0);
                }
            }
        }
    }

    public long rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Row {@code r} into {@code dst[0, cols)}. */
    public final void read(long r, double[] dst) {
        read(r, 0, cols, dst, 0);
    }

    /** Writes {@code src[0, cols)} into row {@code r}. */
    public final void write(long r, double[] src) {
        write(r, 0, cols, src, 0);
    }

    /** {@code n} elements of row {@code r} from column {@code col} into {@code dst[off, off + n)}. */
    public final void read(long r, int col, int n, double[] dst, int off) {
        get(index(r, col, n), dst, off, n);
    }

    /** {@code src[off, off + n)} into row {@code r} from column {@code col}. */
    public final void write(long r, int col, int n, double[] src, int off) {
        put(index(r, col, n), src, off, n);
    }

    /** Row {@code r} of a FLOAT array into {@code dst[0, cols)} (a bulk copy, no conversion). */
    public final void read(long r, float[] dst) {
        read(r, 0, cols, dst, 0);
    }

    /** Writes {@code src[0, cols)} into row {@code r} of a FLOAT array. */
    public final void write(long r, float[] src) {
        write(r, 0, cols, src, 0);
    }

    /** {@code n} elements of row {@code r} of a FLOAT array from column {@code col} into {@code dst[off, off + n)}. */
    public final void read(long r, int col, int n, float[] dst, int off) {
        floats().get(index(r, col, n), dst, off, n);
    }

    /** {@code src[off, off + n)} into row {@code r} of a FLOAT array from column {@code col}. */
    public final void write(long r, int col, int n, float[] src, int off) {
        floats().put(index(r, col, n), src, off, n);
    }

    /** Whether the array is FLOAT (the float[] methods apply) rather than DOUBLE. */
    public final boolean isFloat() {
        return this instanceof OfFloat;
    }

    private FloatBuffer floats() {
        if (this instanceof OfFloat f) {
            return f.buf;
        }
        throw new IllegalStateException("float[] access to a DOUBLE array");
    }

    private int index(long r, int col, int n) {
        if (r < 0 || r >= rows || col < 0 || col + n > cols) {
            throw new IndexOutOfBoundsException("row " + r + " columns [" + col + ", " + (col + n) + ") of [" + rows
                    + ", " + cols + "]");
        }
        return (int) (base + r * rowStride + col);
    }

    protected abstract void get(int index, double[] dst, int off, int n);

    protected abstract void put(int index, double[] src, int off, int n);

    private static final class OfFloat extends DirectRows {
        private final FloatBuffer buf;
        private float[] tmp = new float[0];

        OfFloat(INDArray a, long rows, int cols, long rowStride) {
            super(rows, cols, rowStride, a.offset());
            buf = a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
        }

        private float[] tmp(int n) {
            if (tmp.length < n) {
                tmp = new float[n];
            }
            return tmp;
        }

        @Override
        protected void get(int index, double[] dst, int off, int n) {
            float[] t = tmp(n);
            buf.get(index, t, 0, n);
            for (int i = 0; i < n; i++) {
                dst[off + i] = t[i];
            }
        }

        @Override
        protected void put(int index, double[] src, int off, int n) {
            float[] t = tmp(n);
            for (int i = 0; i < n; i++) {
                t[i] = (float) src[off + i];
            }
            buf.put(index, t, 0, n);
        }
    }

    private static final class OfDouble extends DirectRows {
        private final DoubleBuffer buf;

        OfDouble(INDArray a, long rows, int cols, long rowStride) {
            super(rows, cols, rowStride, a.offset());
            buf = a.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
        }

        @Override
        protected void get(int index, double[] dst, int off, int n) {
            buf.get(index, dst, off, n);
        }

        @Override
        protected void put(int index, double[] src, int off, int n) {
            buf.put(index, src, off, n);
        }
    }
}
