package dev.finetune4j.model.layers;

import dev.finetune4j.nn.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * RMSNorm over the last dimension of {@code x [rows, dim]}: {@code y = w · x / sqrt(mean(x²) + eps)}
 * (Llama/Qwen/Mistral; the statistics in the compute precision, which is float32 or float64 here).
 *
 * <p>Backward, with {@code x̂ = x·r}, {@code r = 1/sqrt(mean(x²)+eps)}: {@code dx̂ = dy·w},
 * {@code dx = r·(dx̂ − x̂·mean(dx̂·x̂))}, {@code dw = Σ_rows dy·x̂}.
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
        clearCache();
        long dim = x.size(1);
        INDArray invRms = Tensors.norm2Rows(x);         // sqrt(Σx²)
        invRms.muli(invRms).divi(dim).addi(eps);        // mean(x²) + eps
        Transforms.sqrt(invRms, false).rdivi(1.0);
        INDArray normed = Tensors.mulColumnVector(x, invRms);
        INDArray y = Tensors.mulRowVector(normed, weight.value());
        if (training) {
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
        INDArray t = Tensors.take(dy.dataType(), dy.shape());
        if (weight.trainable()) {
            dy.mul(xhat, t);
            INDArray dw = Tensors.sumColumns(t);
            weight.gradAccumulator().addi(dw);
            Tensors.close(dw);
        }
        INDArray dxhat = Tensors.mulRowVector(dy, weight.value());
        dxhat.mul(xhat, t);
        INDArray mean = Tensors.sumRows(t).divi(dim);
        Nd4j.getExecutioner().exec(new BroadcastMulOp(xhat, mean, t, 0));
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
