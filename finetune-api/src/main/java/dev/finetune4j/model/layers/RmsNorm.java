package dev.finetune4j.model.layers;

import dev.finetune4j.nn.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * RMSNorm over the last dimension of {@code x [rows, dim]}: {@code y = w · x / sqrt(mean(x²) + eps)}
 * (Llama/Qwen/Mistral; the statistics in the compute precision, which is float32 or float64 here).
 *
 * <p>Backward, with {@code x̂ = x·r}, {@code r = 1/sqrt(mean(x²)+eps)}: {@code dŷ = dy·w},
 * {@code dx = r·(dŷ − x̂·mean(dŷ·x̂))}, {@code dw = Σ_rows dy·x̂}.
 */
public final class RmsNorm {
    private final Parameter weight;
    private final double eps;
    private INDArray cachedNormed; // x̂ [rows, dim]
    private INDArray cachedInvRms; // r [rows]

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
        long dim = x.size(1);
        INDArray invRms = x.norm2(1);                   // sqrt(Σx²)
        invRms.muli(invRms).divi(dim).addi(eps);        // mean(x²) + eps
        Transforms.sqrt(invRms, false).rdivi(1.0);
        INDArray normed = x.mulColumnVector(invRms);
        INDArray y = normed.mulRowVector(weight.value());
        if (training) {
            clearCache();
            cachedNormed = normed;
            cachedInvRms = invRms;
        } else {
            Tensors.close(normed, invRms);
        }
        return y;
    }

    /** Gradient with respect to the input (a new array); adds {@code dw} when the weight trains. */
    public INDArray backward(INDArray dy) {
        if (cachedNormed == null) {
            throw new IllegalStateException(weight.name() + ": backward without a training forward");
        }
        INDArray xhat = cachedNormed;
        long dim = xhat.size(1);
        if (weight.trainable()) {
            INDArray t = dy.mul(xhat);
            INDArray dw = t.sum(0);
            weight.accumulateGrad(dw);
            Tensors.close(t, dw);
        }
        INDArray dxhat = dy.mulRowVector(weight.value());
        INDArray t = dxhat.mul(xhat);
        INDArray mean = t.sum(1).divi(dim);
        t.assign(xhat).muliColumnVector(mean);
        dxhat.subi(t).muliColumnVector(cachedInvRms);
        Tensors.close(t, mean);
        clearCache();
        return dxhat;
    }

    public void clearCache() {
        Tensors.close(cachedNormed, cachedInvRms);
        cachedNormed = null;
        cachedInvRms = null;
    }
}
