package dev.finetune4j.quant.fourbit;

import dev.finetune4j.nn.WeightStore;
import dev.finetune4j.quant.Quantizer;
import dev.finetune4j.quant.blockwise.BlockScales;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** NF4 or FP4 with blocks of 64 (and optionally double-quantized scales): bitsandbytes' {@code Linear4bit} storage. */
public final class FourBitQuantizer implements Quantizer {
    private final FourBitType type;
    private final boolean doubleQuantization;

    public FourBitQuantizer(FourBitType type, boolean doubleQuantization) {
        this.type = type;
        this.doubleQuantization = doubleQuantization;
    }

    public FourBitType type() {
        return type;
    }

    @Override
    public String name() {
        return type.quantType();
    }

    @Override
    public boolean doubleQuantization() {
        return doubleQuantization;
    }

    @Override
    public WeightStore quantize(String name, INDArray weight) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException(name + ": a linear weight must be 2-D [out, in]");
        }
        INDArray w = weight;
        if (!(w.ordering() == 'c' && w.offset() == 0 && w.elementWiseStride() == 1 && !w.isView())) {
            w = w.dup('c');
        }
        long n = w.length();
        FourBitTensor t;
        if (w.dataType() == DataType.FLOAT) {
            FloatBuffer f = w.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            t = FourBitTensor.quantize(type, f::get, n, doubleQuantization);
        } else if (w.dataType() == DataType.DOUBLE) {
            DoubleBuffer d = w.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
            t = FourBitTensor.quantize(type, i -> (float) d.get(i), n, doubleQuantization);
        } else {
            INDArray f32 = w.castTo(DataType.FLOAT).dup('c');
            FloatBuffer f = f32.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            t = FourBitTensor.quantize(type, f::get, n, doubleQuantization);
        }
        DataType compute = weight.dataType() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        return new FourBitWeight(name, weight.size(0), weight.size(1), compute, t);
    }

    @Override
    public long storageBytes(long outFeatures, long inFeatures) {
        long n = outFeatures * inFeatures;
        long blocks = (n + FourBitTensor.BLOCK - 1) / FourBitTensor.BLOCK;
        long scales = doubleQuantization
                ? blocks + 4 * ((blocks + BlockScales.DoubleQuantized.BLOCK - 1) / BlockScales.DoubleQuantized.BLOCK) + 4
                : 4 * blocks;
        return (n + 1) / 2 + scales;
    }

    @Override
    public String toString() {
        return "FourBitQuantizer[" + name() + (doubleQuantization ? ", double quantization" : "") + "]";
    }
}
