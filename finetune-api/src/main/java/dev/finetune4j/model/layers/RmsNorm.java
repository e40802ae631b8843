package dev.finetune4j.model.layers;

import dev.finetune4j.nn.DirectRows;
import dev.finetune4j.nn.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * RMSNorm over the last dimension of {@code x [rows, dim]}: {@code y = w · x / sqrt(mean(x²) + eps)}
 * (Llama/Qwen/Mistral; the statistics in double precision, one pass per row: {@link FusedOps#rmsNorm}).
 *
 * <p>Backward, with {@code x̂ = x·r}, {@code r = 1/sqrt(mean(x²)+eps)}: {@code dx̂ = dy·w},
 * {@code dx = r·(dx̂ − x̂·mean(dx̂·x̂))}, {@code dw = Σ_rows dy·x̂}.
 */
public final class RmsNorm {
    private final Parameter weight;
    private final double eps;
    private INDArray cachedNormed; // x̂ [rows, dim]
    private double[] cachedInvRms; // r [rows]

    public RmsNorm(Parameter weight, double eps) {
        if (weight.value().rank() != 1) {
            throw new IllegalArgumentException(weight.name() + ": an RMSNorm weight must be 1-D");
        }
        this.weight = weight;
        this.eps = eps;
    }

    public Parameter weight() {
        return weight;
    }

    /** A new {@code [rows, dim]} array; with {@code training} keeps x̂ and r for {@link #backward}. */
    public INDArray forward(INDArray x, boolean training) {
        return forward(x, null, training);
    }

    /**
     * The pre-norm residual step in one pass: {@code x += residual} (in place: {@code x} becomes the residual stream),
     * then the norm of the sum (a new array). {@code residual} null: as {@link #forward(INDArray, boolean)}.
     */
    public INDArray forward(INDArray x, INDArray residual, boolean training) {
        clearCache();
        INDArray y = Tensors.take(x.dataType(), x.shape());
        if (training) {
            cachedNormed = Tensors.take(x.dataType(), x.shape());
            cachedInvRms = new double[(int) x.size(0)];
        }
        FusedOps.rmsNorm(x, residual, weight.value(), eps, y, cachedNormed, cachedInvRms);
        return y;
    }

    /** Gradient with respect to the input (a new array); adds {@code dw} when the weight trains. */
    public INDArray backward(INDArray dy) {
        INDArray dx = Tensors.take(dy.dataType(), dy.shape());
        backward(dy, dx, null);
        return dx;
    }

    /**
     * Gradient with respect to the input plus {@code addend} (the residual branch's gradient, or null), written over
     * {@code dy} (which the caller owns and no longer needs); returns {@code dy}.
     */
    public INDArray backwardInPlace(INDArray dy, INDArray addend) {
        backward(dy, dy, addend);
        return dy;
    }

    private void backward(INDArray dy, INDArray dx, INDArray addend) {
        if (cachedNormed == null) {
            throw new IllegalStateException(weight.name() + ": backward without a training forward");
        }
        double[] dw = weight.trainable() ? new double[(int) weight.numel()] : null;
        FusedOps.rmsNormBackward(dy, cachedNormed, cachedInvRms, weight.value(), dx, addend, dw);
        if (dw != null) {
            DirectRows g = DirectRows.of(weight.gradAccumulator());
            double[] acc = new double[dw.length];
            g.read(0, acc);
            for (int j = 0; j < acc.length; j++) {
                acc[j] += dw[j];
            }
            g.write(0, acc);
        }
        clearCache();
    }

    public void clearCache() {
        Tensors.close(cachedNormed);
        cachedNormed = null;
        cachedInvRms = null;
    }
}
