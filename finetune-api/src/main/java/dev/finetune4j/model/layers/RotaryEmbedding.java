package dev.finetune4j.model.layers;

import dev.finetune4j.model.ModelConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Rotary position embeddings in HuggingFace's half-split form (FORMATS.md §D.4):
 * {@code x' = x·cos + rotate_half(x)·sin}, {@code rotate_half([x1, x2]) = [-x2, x1]} per head.
 *
 * <p>Angles are {@code float32(pos · inv_freq)} with {@code inv_freq} in float32, as transformers computes them;
 * cos and sin are rounded to float32 in DOUBLE mode too (as the reference does). The tables are laid out per
 * row and head ({@code [rows, heads·headDim]}) so that applying RoPE is three same-shape elementwise ops and a
 * half swap: {@code x·C + swap(x)·S}, where {@code C = [cos, cos]} and {@code S = [-sin, sin]} per head.
 */
public final class RotaryEmbedding {
    private final float[] invFreq;
    private final int headDim;

    public RotaryEmbedding(ModelConfig config) {
        this(config.ropeScaling().inverseFrequencies(config.ropeTheta(), config.headDim()), config.headDim());
    }

    public RotaryEmbedding(float[] invFreq, int headDim) {
        if (invFreq.length * 2 != headDim) {
            throw new IllegalArgumentException("inv_freq has " + invFreq.length + " entries for head_dim " + headDim);
        }
        this.invFreq = invFreq.clone();
        this.headDim = headDim;
    }

    public int headDim() {
        return headDim;
    }

    public float[] inverseFrequencies() {
        return invFreq.clone();
    }

    /** {@code {C, S}}, each {@code [positions.length, heads·headDim]}: C = [cos, cos], S = [-sin, sin] per head. */
    public INDArray[] tables(int[] positions, int heads, DataType dtype) {
        int half = headDim / 2;
        int width = heads * headDim;
        int n = positions.length;
        float[] cos = new float[half];
        float[] sin = new float[half];
        if (dtype == DataType.DOUBLE) {
            double[] c = new double[n * width];
            double[] s = new double[n * width];
            for (int r = 0; r < n; r++) {
                angles(positions[r], cos, sin);
                for (int h = 0; h < heads; h++) {
                    int base = r * width + h * headDim;
                    for (int j = 0; j < half; j++) {
                        c[base + j] = cos[j];
                        c[base + half + j] = cos[j];
                        s[base + j] = -sin[j];
                        s[base + half + j] = sin[j];
                    }
                }
            }
            INDArray ca = Tensors.take(dtype, n, width);
            INDArray sa = Tensors.take(dtype, n, width);
            ca.data().setData(c);
            sa.data().setData(s);
            return new INDArray[] {ca, sa};
        }
        float[] c = new float[n * width];
        float[] s = new float[n * width];
        for (int r = 0; r < n; r++) {
            angles(positions[r], cos, sin);
            for (int h = 0; h < heads; h++) {
                int base = r * width + h * headDim;
                for (int j = 0; j < half; j++) {
                    c[base + j] = cos[j];
                    c[base + half + j] = cos[j];
                    s[base + j] = -sin[j];
                    s[base + half + j] = sin[j];
                }
            }
        }
        INDArray ca = Tensors.take(dtype, n, width);
        INDArray sa = Tensors.take(dtype, n, width);
        ca.data().setData(c);
        sa.data().setData(s);
        return new INDArray[] {ca, sa};
    }

    /**
     * {@code {cos, sin}} of every position, each {@code [positions.length · headDim/2]} row-major: the compact form
     * the attention kernels read (angles as {@link #tables}).
     */
    public double[][] cosSin(int[] positions) {
        int half = headDim / 2;
        double[] c = new double[positions.length * half];
        double[] s = new double[positions.length * half];
        float[] cos = new float[half];
        float[] sin = new float[half];
        for (int r = 0; r < positions.length; r++) {
            angles(positions[r], cos, sin);
            for (int j = 0; j < half; j++) {
                c[r * half + j] = cos[j];
                s[r * half + j] = sin[j];
            }
        }
        return new double[][] {c, s};
    }

    private void angles(int position, float[] cos, float[] sin) {
        float p = position;
        for (int j = 0; j < cos.length; j++) {
            float angle = p * invFreq[j]; // float32 product, as HF's inv_freq @ position_ids in float32
            cos[j] = (float) Math.cos(angle);
            sin[j] = (float) Math.sin(angle);
        }
    }

    /** RoPE of {@code x [rows, heads·headDim]} with tables from {@link #tables}: a new array. */
    public INDArray apply(INDArray x, INDArray c, INDArray s) {
        INDArray out = Tensors.mul(x, c);
        INDArray swapped = swapHalves(x);
        swapped.muli(s);
        out.addi(swapped);
        Tensors.close(swapped);
        return out;
    }

    /** Gradient of {@link #apply}: {@code dx = dy·C + swap(dy·S)} (the swap is its own transpose). */
    public INDArray backward(INDArray dy, INDArray c, INDArray s) {
        INDArray t = Tensors.mul(dy, s);
        INDArray dx = swapHalves(t);
        t.assign(dy).muli(c);
        dx.addi(t);
        Tensors.close(t);
        return dx;
    }

    /** {@code [x1, x2] -> [x2, x1]} within every head of {@code x [rows, heads·headDim]}: a new array. */
    INDArray swapHalves(INDArray x) {
        long rows = x.size(0);
        long heads = x.size(1) / headDim;
        int half = headDim / 2;
        INDArray src = x.reshape('c', rows, heads, headDim);
        INDArray out = Tensors.take(x.dataType(), rows, heads * headDim);
        INDArray dst = out.reshape('c', rows, heads, headDim);
        dst.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half))
                .assign(src.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, headDim)));
        dst.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, headDim))
                .assign(src.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half)));
        return out;
    }
}
