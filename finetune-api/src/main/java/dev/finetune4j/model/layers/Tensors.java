package dev.finetune4j.model.layers;

import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.Gemm;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Norm2;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Swish;
import org.nd4j.linalg.api.ops.impl.transforms.strict.SwishDerivative;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Small helpers over ND4J for the hand-written layers. Every op here writes into an array from the current
 * {@link ArrayPool} (no allocation once the pool is warm); {@link #close} gives arrays back.
 */
public final class Tensors {
    private Tensors() {
    }

    /** An uninitialised dense array (from the active pool). */
    public static INDArray take(DataType dtype, long... shape) {
        return ArrayPool.take(dtype, shape);
    }

    /**
     * A 2-D {@code [rows, cols]} view of {@code rows·cols} consecutive elements of a C-ordered dense array, starting
     * {@code offset} elements after the array's own start (no copy; writes go to {@code a}).
     */
    public static INDArray block(INDArray a, long offset, long rows, long cols) {
        return Nd4j.create(a.data(), new long[] {rows, cols}, new long[] {cols, 1}, a.offset() + offset, 'c');
    }

    /** {@code a} (dense, C order, owned) seen with another shape of the same length; give either back, once. */
    public static INDArray reshapeOwned(INDArray a, long... shape) {
        return Nd4j.create(a.data(), shape, Nd4j.getStrides(shape, 'c'), a.offset(), 'c');
    }

    /** {@code c = alpha·op(a)·op(b) + beta·c} into a dense (or contiguous-block) {@code c}. */
    public static void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha,
                            double beta) {
        Gemm.gemm(a, b, c, transA, transB, alpha, beta);
    }

    /** {@code op(a)·op(b)} into a new array. */
    public static INDArray gemm(INDArray a, INDArray b, boolean transA, boolean transB) {
        long m = transA ? a.size(1) : a.size(0);
        long n = transB ? b.size(0) : b.size(1);
        INDArray c = take(a.dataType(), m, n);
        Gemm.gemm(a, b, c, transA, transB, 1.0, 0.0);
        return c;
    }

    /** {@code a ⊙ b} (same shapes). */
    public static INDArray mul(INDArray a, INDArray b) {
        return a.mul(b, take(a.dataType(), a.shape()));
    }

    /** {@code a[i, j] · v[j]}. */
    public static INDArray mulRowVector(INDArray a, INDArray v) {
        INDArray out = take(a.dataType(), a.shape());
        Nd4j.getExecutioner().exec(new BroadcastMulOp(a, v, out, 1));
        return out;
    }

    /** {@code a[i, j] · v[i]}. */
    public static INDArray mulColumnVector(INDArray a, INDArray v) {
        INDArray out = take(a.dataType(), a.shape());
        Nd4j.getExecutioner().exec(new BroadcastMulOp(a, v, out, 0));
        return out;
    }

    /** Row sums of a 2-D array: {@code [rows]}. */
    public static INDArray sumRows(INDArray a) {
        INDArray out = take(a.dataType(), a.size(0));
        Nd4j.exec(new Sum(a, out, 1));
        return out;
    }

    /** Column sums of a 2-D array: {@code [cols]}. */
    public static INDArray sumColumns(INDArray a) {
        INDArray out = take(a.dataType(), a.size(1));
        Nd4j.exec(new Sum(a, out, 0));
        return out;
    }

    /** Euclidean norm of each row of a 2-D array: {@code [rows]}. */
    public static INDArray norm2Rows(INDArray a) {
        INDArray out = take(a.dataType(), a.size(0));
        Nd4j.exec(new Norm2(a, out, 1));
        return out;
    }

    /** {@code 1 / (1 + e^-a)}. */
    public static INDArray sigmoid(INDArray a) {
        INDArray out = take(a.dataType(), a.shape());
        Nd4j.exec(new Sigmoid(a, out));
        return out;
    }

    /** {@code silu(a) = a·σ(a)}. */
    public static INDArray silu(INDArray a) {
        INDArray out = take(a.dataType(), a.shape());
        Nd4j.exec(new Swish(a, out));
        return out;
    }

    /** {@code d silu(a) / da = σ(a)·(1 + a·(1 − σ(a)))}. */
    public static INDArray siluDerivative(INDArray a) {
        INDArray out = take(a.dataType(), a.shape());
        Nd4j.exec(new SwishDerivative(a, out));
        return out;
    }

    /** A dense C-order copy of {@code a} (any strides: e.g. a permuted view). */
    public static INDArray copy(INDArray a) {
        return take(a.dataType(), a.shape()).assign(a);
    }

    /** Gives arrays this code owns back to the pool (or closes them); null entries are skipped. */
    public static void close(INDArray... arrays) {
        ArrayPool.give(arrays);
    }
}
