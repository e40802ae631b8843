package dev.finetune4j.quant.fourbit;

import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.WeightStore;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A frozen linear weight {@code [out, in]} kept as a {@link FourBitTensor} (NF4 or FP4, row-major flattening as
 * bitsandbytes' {@code Params4bit}). {@link #acquire()} dequantizes it into a dense array of the compute type taken
 * from the active {@link ArrayPool} (so successive layers reuse one buffer); {@link #release} gives it back.
 */
public final class FourBitWeight implements WeightStore {
    private final String name;
    private final long out;
    private final long in;
    private final DataType dtype;
    private final FourBitTensor tensor;

    public FourBitWeight(String name, long out, long in, DataType dtype, FourBitTensor tensor) {
        if (tensor.length() != out * in) {
            throw new IllegalArgumentException(name + ": " + tensor.length() + " values do not make [" + out + ", "
                    + in + "]");
        }
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException(name + ": dequantizes to FLOAT or DOUBLE, not " + dtype);
        }
        this.name = name;
        this.out = out;
        this.in = in;
        this.dtype = dtype;
        this.tensor = tensor;
    }

    public String name() {
        return name;
    }

    public FourBitTensor tensor() {
        return tensor;
    }

    @Override
    public long outFeatures() {
        return out;
    }

    @Override
    public long inFeatures() {
        return in;
    }

    @Override
    public INDArray acquire() {
        INDArray w = ArrayPool.take(dtype, out, in);
        if (dtype == DataType.FLOAT) {
            tensor.dequantizeInto(w.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer());
        } else {
            tensor.dequantizeInto(w.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer());
        }
        return w;
    }

    @Override
    public void release(INDArray weight) {
        ArrayPool.give(weight);
    }

    @Override
    public long storageBytes() {
        return tensor.storageBytes();
    }

    @Override
    public String toString() {
        return "FourBitWeight[" + name + ", " + tensor.type().quantType() + ", [" + out + ", " + in + "]"
                + (tensor.scales() instanceof dev.finetune4j.quant.blockwise.BlockScales.DoubleQuantized
                ? ", double-quantized" : "") + "]";
    }
}
