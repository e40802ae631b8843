package dev.finetune4j.quant.int8;

import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.WeightStore;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A frozen linear weight in LLM.int8's row-wise absmax format (bitsandbytes' {@code Int8Params}: {@code CB} int8
 * {@code [out, in]} and {@code SCB} float32 {@code [out]}):
 * {@code SCB_i = max_j |W_ij|}, {@code CB_ij = round_half_even(W_ij · (127 / SCB_i))}. Dequantization as
 * bitsandbytes' {@code int8_vectorwise_dequant}: {@code (CB_ij · SCB_i) · 7.874015718698502e-3} in float32. (The
 * outlier decomposition of bitsandbytes' int8 matmul is a compute detail of its GPU kernels; this store dequantizes
 * the whole weight, which is the LLM.int8 weight with threshold 0.)
 */
public final class Int8Weight implements WeightStore {
    /** {@code 1/127} as bitsandbytes writes it (a float32 multiply). */
    static final float INV_127 = 7.874015718698502e-3f;

    private final String name;
    private final int out;
    private final int in;
    private final DataType dtype;
    private final byte[][] cb;   // one array per row: a single [out·in] array would be a G1 humongous object
    private final float[] scb;

    Int8Weight(String name, int out, int in, DataType dtype, byte[][] cb, float[] scb) {
        this.name = name;
        this.out = out;
        this.in = in;
        this.dtype = dtype;
        this.cb = cb;
        this.scb = scb;
    }

    /** Quantizes the row-major values {@code w[i·in + j]} of an {@code [out, in]} matrix. */
    public static Int8Weight quantize(String name, int out, int in, DataType dtype, RowValues w) {
        Math.multiplyExact(out, in);
        byte[][] cb = new byte[out][in];
        float[] scb = new float[out];
        IntStream rows = IntStream.range(0, out);
        (out > 64 ? rows.parallel() : rows).forEach(i -> {
            float m = -Float.MIN_VALUE;
            for (int j = 0; j < in; j++) {
                m = Math.max(m, Math.abs(w.get(i * in + j)));
            }
            scb[i] = m;
            float scale = 127.0f / m;
            for (int j = 0; j < in; j++) {
                cb[i][j] = (byte) (int) Math.rint(w.get(i * in + j) * scale);
            }
        });
        return new Int8Weight(name, out, in, dtype, cb, scb);
    }

    /** Element {@code i} of a row-major matrix, as float. */
    @FunctionalInterface
    public interface RowValues {
        float get(int i);
    }

    /** {@code CB}, row-major (a copy). */
    public byte[] cb() {
        byte[] flat = new byte[out * in];
        for (int i = 0; i < out; i++) {
            System.arraycopy(cb[i], 0, flat, i * in, in);
        }
        return flat;
    }

    /** {@code SCB} (a copy). */
    public float[] scb() {
        return scb.clone();
    }

    public String name() {
        return name;
    }

    @Override
    public long outFeatures() {
        return out;
    }

    @Override
    public long inFeatures() {
        return in;
    }

    /** The dequantized value of element {@code (i, j)}. */
    public float value(int i, int j) {
        return cb[i][j] * scb[i] * INV_127;
    }

    @Override
    public INDArray acquire() {
        INDArray w = ArrayPool.take(dtype, out, in);
        if (dtype == DataType.FLOAT) {
            FloatBuffer f = w.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            IntStream rows = IntStream.range(0, out);
            (out > 64 ? rows.parallel() : rows).forEach(i -> {
                float[] row = scratch(in);
                float s = scb[i];
                byte[] c = cb[i];
                for (int j = 0; j < in; j++) {
                    row[j] = c[j] * s * INV_127;
                }
                f.put(i * in, row, 0, in);
            });
        } else {
            DoubleBuffer d = w.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
            for (int i = 0; i < out; i++) {
                for (int j = 0; j < in; j++) {
                    d.put(i * in + j, value(i, j));
                }
            }
        }
        return w;
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** A per-thread row buffer (no garbage per acquire). */
    private static float[] scratch(int n) {
        float[] a = SCRATCH.get();
        if (a.length < n) {
            a = new float[n];
            SCRATCH.set(a);
        }
        return a;
    }

    @Override
    public void release(INDArray weight) {
        ArrayPool.give(weight);
    }

    @Override
    public long storageBytes() {
        return (long) out * in + 4L * scb.length;
    }

    @Override
    public String toString() {
        return "Int8Weight[" + name + ", [" + out + ", " + in + "]]";
    }
}
