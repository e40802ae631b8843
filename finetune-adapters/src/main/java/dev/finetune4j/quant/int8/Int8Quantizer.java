package dev.finetune4j.quant.int8;

import dev.finetune4j.nn.WeightStore;
import dev.finetune4j.quant.Quantizer;
import dev.finetune4j.quant.QuantizerProvider;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** INT8 row-wise absmax ({@link Int8Weight}): LLaMA-Factory's {@code quantization_bit: 8}. */
public final class Int8Quantizer implements Quantizer {

    @Override
    public String name() {
        return "int8";
    }

    @Override
    public WeightStore quantize(String name, INDArray weight) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException(name + ": a linear weight must be 2-D [out, in]");
        }
        INDArray w = weight;
        if (!(w.ordering() == 'c' && w.offset() == 0 && w.elementWiseStride() == 1 && !w.isView())
                || (w.dataType() != DataType.FLOAT && w.dataType() != DataType.DOUBLE)) {
            w = w.castTo(weight.dataType() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT).dup('c');
        }
        int out = Math.toIntExact(w.size(0));
        int in = Math.toIntExact(w.size(1));
        DataType compute = w.dataType();
        if (compute == DataType.FLOAT) {
            FloatBuffer f = w.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            return Int8Weight.quantize(name, out, in, compute, f::get);
        }
        DoubleBuffer d = w.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
        return Int8Weight.quantize(name, out, in, compute, i -> (float) d.get(i));
    }

    @Override
    public long storageBytes(long outFeatures, long inFeatures) {
        return outFeatures * inFeatures + 4 * outFeatures;
    }

    @Override
    public String toString() {
        return "Int8Quantizer";
    }

    /** Registers {@code int8} ({@link java.util.ServiceLoader}). */
    public static final class Provider implements QuantizerProvider {
        @Override
        public String name() {
            return "int8";
        }

        @Override
        public Quantizer create(boolean doubleQuantization) {
            return new Int8Quantizer();
        }
    }
}
