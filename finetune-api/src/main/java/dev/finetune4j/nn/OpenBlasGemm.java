package dev.finetune4j.nn;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasColMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.pointers.PagedPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Gemm}'s direct path: {@code cblas_sgemm}/{@code cblas_dgemm} of the OpenBLAS that ND4J's CPU backend loaded,
 * on the arrays' own memory. Only referenced once {@link Gemm} has found the class, so the CUDA backend (which has no
 * OpenBLAS) never loads it.
 */
final class OpenBlasGemm {
    private OpenBlasGemm() {
    }

    /** The storage of one 2-D operand: row-major ({@code stride(1) == 1}) or column-major, and its leading dimension. */
    private record Layout(boolean rowMajor, int lead) {
        static Layout of(INDArray x) {
            long rows = x.size(0);
            long cols = x.size(1);
            if (cols == 1 || x.stride(1) == 1) {
                long lead = rows > 1 ? x.stride(0) : Math.max(1, cols);
                if (lead >= Math.max(1, cols) && lead <= Integer.MAX_VALUE) {
                    return new Layout(true, (int) lead);
                }
            }
            if (rows == 1 || x.stride(0) == 1) {
                long lead = cols > 1 ? x.stride(1) : Math.max(1, rows);
                if (lead >= Math.max(1, rows) && lead <= Integer.MAX_VALUE) {
                    return new Layout(false, (int) lead);
                }
            }
            return null;
        }
    }

    /**
     * Runs the product if the arrays suit the direct call (same FLOAT or DOUBLE type, 2-D, one unit stride each).
     *
     * @return false when they do not (nothing was computed): the caller falls back to {@code Nd4j.gemm}
     */
    static boolean gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha,
                        double beta) {
        DataType t = c.dataType();
        if ((t != DataType.FLOAT && t != DataType.DOUBLE) || a.dataType() != t || b.dataType() != t
                || a.rank() != 2 || b.rank() != 2 || c.rank() != 2) {
            return false;
        }
        long m = c.size(0);
        long n = c.size(1);
        long k = transA ? a.size(0) : a.size(1);
        if ((transA ? a.size(1) : a.size(0)) != m || (transB ? b.size(1) : b.size(0)) != k
                || (transB ? b.size(0) : b.size(1)) != n) {
            throw new IllegalArgumentException("gemm: op(a) " + Gemm.describe(a) + (transA ? "ᵀ" : "") + " · op(b) "
                    + Gemm.describe(b) + (transB ? "ᵀ" : "") + " does not fit c " + Gemm.describe(c));
        }
        if (m == 0 || n == 0) {
            return true;
        }
        if (k == 0 || m > Integer.MAX_VALUE || n > Integer.MAX_VALUE || k > Integer.MAX_VALUE) {
            return false;
        }
        Layout la = Layout.of(a);
        Layout lb = Layout.of(b);
        Layout lc = Layout.of(c);
        if (la == null || lb == null || lc == null) {
            return false;
        }
        // in the order of c's storage, an operand stored the other way is its own transpose stored that way
        int order = lc.rowMajor() ? CblasRowMajor : CblasColMajor;
        int ta = (transA ^ (la.rowMajor() != lc.rowMajor())) ? CblasTrans : CblasNoTrans;
        int tb = (transB ^ (lb.rowMajor() != lc.rowMajor())) ? CblasTrans : CblasNoTrans;
        if (t == DataType.FLOAT) {
            cblas_sgemm(order, ta, tb, (int) m, (int) n, (int) k, (float) alpha, floats(a), la.lead(), floats(b),
                    lb.lead(), (float) beta, floats(c), lc.lead());
        } else {
            cblas_dgemm(order, ta, tb, (int) m, (int) n, (int) k, alpha, doubles(a), la.lead(), doubles(b),
                    lb.lead(), beta, doubles(c), lc.lead());
        }
        return true;
    }

    /** {@link Gemm#sgemm}: row-major, raw addresses. */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b,
                      int ldb, float beta, long c, int ldc) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
                alpha, new FloatPointer(new PagedPointer(a)), lda, new FloatPointer(new PagedPointer(b)), ldb, beta,
                new FloatPointer(new PagedPointer(c)), ldc);
    }

    // data().address() is where the buffer's memory starts; the array's offset() counts from there (for a view,
    // data().addressPointer() already points at the view's own start, so it must not be offset again)
    private static FloatPointer floats(INDArray x) {
        return new FloatPointer(new PagedPointer(Gemm.address(x)));
    }

    private static DoublePointer doubles(INDArray x) {
        return new DoublePointer(new PagedPointer(Gemm.address(x)));
    }
}
