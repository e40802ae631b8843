package dev.finetune4j.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Small helpers over ND4J used by the hand-written layers. */
public final class Tensors {
    private Tensors() {
    }

    /**
     * A 2-D {@code [rows, cols]} view of {@code rows·cols} consecutive elements of a C-ordered dense array, starting
     * {@code offset} elements after the array's own start (no copy; writes go to {@code a}).
     */
    public static INDArray block(INDArray a, long offset, long rows, long cols) {
        return Nd4j.create(a.data(), new long[] {rows, cols}, new long[] {cols, 1}, a.offset() + offset, 'c');
    }

    /** {@code c = alpha·op(a)·op(b) + beta·c} into a dense (or contiguous-block) {@code c}. */
    public static void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha,
                            double beta) {
        Nd4j.gemm(a, b, c, transA, transB, alpha, beta);
    }

    /** Releases the native memory of arrays this code created and no longer needs (null entries are skipped). */
    public static void close(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a != null && !a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
    }
}
