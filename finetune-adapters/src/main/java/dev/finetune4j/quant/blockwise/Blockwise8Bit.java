package dev.finetune4j.quant.blockwise;

/**
 * bitsandbytes' blockwise 8-bit quantization with the {@link DynamicCodeMap} ({@code quantize_blockwise}, here on
 * float arrays): per block of {@code blockSize} values, {@code absmax = max |x|}; each value is multiplied by
 * {@code 1/absmax} (float) and gets the code of the nearest map value, found as the CUDA kernel {@code dQuantize}
 * does (a 7-step binary search from index 127, then the nearer of the two neighbours by their float midpoint; ties
 * and NaN resolved as the kernel resolves them). Dequantization: {@code map[q] · absmax}.
 */
public final class Blockwise8Bit {
    /** The codes (one byte per value) and the per-block absmax. */
    public record Quantized(byte[] codes, float[] absmax, int blockSize) {
    }

    private Blockwise8Bit() {
    }

    public static Quantized quantize(float[] x, int blockSize) {
        float[] code = DynamicCodeMap.signedShared();
        int blocks = (x.length + blockSize - 1) / blockSize;
        byte[] q = new byte[x.length];
        float[] absmax = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * blockSize;
            int to = Math.min(x.length, from + blockSize);
            float m = -Float.MAX_VALUE;
            for (int i = from; i < to; i++) {
                m = Math.max(m, Math.abs(x[i]));
            }
            absmax[b] = m;
            float inv = 1.0f / m;
            for (int i = from; i < to; i++) {
                q[i] = (byte) nearest(code, x[i] * inv);
            }
        }
        return new Quantized(q, absmax, blockSize);
    }

    /** {@code map[codes[i]] · absmax[i / blockSize]}. */
    public static float[] dequantize(byte[] codes, float[] absmax, int blockSize) {
        float[] code = DynamicCodeMap.signedShared();
        float[] out = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            out[i] = code[codes[i] & 0xFF] * absmax[i / blockSize];
        }
        return out;
    }

    /** bitsandbytes' {@code dQuantize<0>}: the index of the map value nearest to {@code x}. */
    static int nearest(float[] code, float x) {
        int pivot = 127;
        int upperPivot = 255;
        int lowerPivot = 0;
        float lower = -1.0f;
        float upper = 1.0f;
        float val = code[pivot];
        for (int i = 64; i > 0; i >>= 1) {
            if (x > val) {
                lowerPivot = pivot;
                lower = val;
                pivot += i;
            } else {
                upperPivot = pivot;
                upper = val;
                pivot -= i;
            }
            val = code[pivot];
        }
        if (upperPivot == 255) {
            upper = code[upperPivot];
        }
        if (lowerPivot == 0) {
            lower = code[lowerPivot];
        }
        if (x > val) {
            float midpoint = (upper + val) * 0.5f;
            return x > midpoint ? upperPivot : pivot;
        } else {
            float midpoint = (lower + val) * 0.5f;
            return x < midpoint ? lowerPivot : pivot;
        }
    }
}
