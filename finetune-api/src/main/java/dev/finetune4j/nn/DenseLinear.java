package dev.finetune4j.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The plain linear layer: {@code y = x·Wᵀ + b}. The weight comes from a {@link WeightStore} (dense or
 * quantized); its gradient {@code dW = dyᵀ·x} is computed only when the weight is a trainable parameter, straight
 * into the parameter's accumulator. Outputs come from the active {@link ArrayPool}, if any.
 */
public final class DenseLinear implements Linear {
    private static final long COLUMN_MAJOR_FROM = 2048;
    private final String name;
    private final WeightStore weight;
    private final Parameter bias; // may be null
    private INDArray cachedInput;

    public DenseLinear(String name, WeightStore weight, Parameter bias) {
        this.name = Objects.requireNonNull(name, "name");
        this.weight = Objects.requireNonNull(weight, "weight");
        if (bias != null && bias.value().length() != weight.outFeatures()) {
            throw new IllegalArgumentException(name + ": bias length " + bias.value().length()
                    + " does not match out features " + weight.outFeatures());
        }
        this.bias = bias;
    }

    public WeightStore weight() {
        return weight;
    }

    /** The bias parameter, or {@code null}. */
    public Parameter bias() {
        return bias;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long inFeatures() {
        return weight.inFeatures();
    }

    @Override
    public long outFeatures() {
        return weight.outFeatures();
    }

    @Override
    public INDArray forward(INDArray x, boolean training) {
        INDArray w = weight.acquire();
        INDArray y = ArrayPool.take(x.dataType(), x.size(0), w.size(0));
        try {
            Gemm.gemm(x, w, y, false, true, 1.0, 0.0);
        } finally {
            weight.release(w);
        }
        if (bias != null) {
            y.addiRowVector(bias.value());
        }
        cachedInput = training ? x : null;
        return y;
    }

    @Override
    public INDArray backward(INDArray dy) {
        INDArray dx = ArrayPool.take(dy.dataType(), dy.size(0), inFeatures());
        backward(dy, dx, false);
        return dx;
    }

    @Override
    public void backwardInto(INDArray dy, INDArray dxSum) {
        if (outFeatures() >= COLUMN_MAJOR_FROM || inFeatures() >= COLUMN_MAJOR_FROM) {
            Linear.super.backwardInto(dy, dxSum); // the column-major product below cannot accumulate
            return;
        }
        backward(dy, dxSum, true);
    }

    private void backward(INDArray dy, INDArray dx, boolean accumulate) {
        if (cachedInput == null) {
            throw new IllegalStateException(name + ": backward called without a training forward");
        }
        INDArray w = weight.acquire();
        try {
            if (!accumulate && (w.size(0) >= COLUMN_MAJOR_FROM || w.size(1) >= COLUMN_MAJOR_FROM)) {
                // with a large side (an MLP's intermediate size, the vocabulary) OpenBLAS runs dy·W 20-30 % faster
                // into a column-major output (measured, 1 thread: [256, 4864]·[4864, 896] 16.5 vs 21.5 ms; the LM
                // head [256, 151936]·[151936, 896] 248 vs 309 ms), then a tiled copy makes it row-major; with small
                // sides the row-major product is as fast and the copy would cost more
                INDArray tmp = ArrayPool.take(dy.dataType(), dy.size(0), w.size(1));
                long[] shape = {dy.size(0), w.size(1)};
                INDArray f = Nd4j.create(tmp.data(), shape, Nd4j.getStrides(shape, 'f'), 0, 'f');
                Gemm.gemm(dy, w, f, false, false, 1.0, 0.0);
                DirectRows.copyColumnMajorToRowMajor(f, dx);
                ArrayPool.give(tmp);
            } else {
                Gemm.gemm(dy, w, dx, false, false, 1.0, accumulate ? 1.0 : 0.0);
            }
        } finally {
            weight.release(w);
        }
        Parameter wp = weight.parameter().orElse(null);
        if (wp != null && wp.trainable()) {
            // dW += dyᵀ·x straight into the accumulator (no [out, in] temporary)
            Gemm.gemm(dy, cachedInput, wp.gradAccumulator(), true, false, 1.0, 1.0);
        }
        if (bias != null && bias.trainable()) {
            INDArray db = dy.sum(0);
            bias.accumulateGrad(db);
            ArrayPool.give(db);
        }
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>(2);
        weight.parameter().ifPresent(out::add);
        if (bias != null) {
            out.add(bias);
        }
        return out;
    }

    @Override
    public void clearCache() {
        cachedInput = null;
    }
}
