package dev.finetune4j.quant.blockwise;

/**
 * The per-block absmax values of a blockwise-quantized tensor, kept either as float32 or, with bitsandbytes' double
 * quantization ({@code compress_statistics} / {@code bnb_4bit_use_double_quant}), as 8-bit codes of
 * {@code absmax - mean(absmax)} in blocks of 256 with one float32 scale each.
 */
public sealed interface BlockScales {

    /** The absmax of every block (a new array). */
    float[] decode();

    /** Number of blocks. */
    int blocks();

    /** Bytes kept. */
    long bytes();

    /** float32 absmax values. */
    static BlockScales plain(float[] absmax) {
        return new Plain(absmax.clone());
    }

    /**
     * Double quantization: {@code offset = mean(absmax)} (accumulated in double, rounded to float),
     * {@code absmax - offset} (float) quantized with {@link Blockwise8Bit} in blocks of 256.
     */
    static BlockScales doubleQuantized(float[] absmax) {
        double sum = 0;
        for (float a : absmax) {
            sum += a;
        }
        float offset = (float) (sum / absmax.length);
        float[] centred = new float[absmax.length];
        for (int i = 0; i < absmax.length; i++) {
            centred[i] = absmax[i] - offset;
        }
        Blockwise8Bit.Quantized q = Blockwise8Bit.quantize(centred, DoubleQuantized.BLOCK);
        return new DoubleQuantized(q.codes(), q.absmax(), offset);
    }

    /** Plain float32 scales. */
    record Plain(float[] absmax) implements BlockScales {
        @Override
        public float[] decode() {
            return absmax.clone();
        }

        @Override
        public int blocks() {
            return absmax.length;
        }

        @Override
        public long bytes() {
            return 4L * absmax.length;
        }
    }

    /**
     * Double-quantized scales: {@code absmax[i] = map[codes[i]] · nestedAbsmax[i / 256] + offset} (float32
     * arithmetic, as bitsandbytes' {@code dequantize_blockwise} then {@code absmax += offset}).
     */
    record DoubleQuantized(byte[] codes, float[] nestedAbsmax, float offset) implements BlockScales {
        /** bitsandbytes' block size for the nested quantization. */
        public static final int BLOCK = 256;

        @Override
        public float[] decode() {
            float[] code = DynamicCodeMap.signedShared();
            float[] out = new float[codes.length];
            for (int i = 0; i < codes.length; i++) {
                float v = code[codes[i] & 0xFF] * nestedAbsmax[i / BLOCK];
                out[i] = v + offset;
            }
            return out;
        }

        @Override
        public int blocks() {
            return codes.length;
        }

        @Override
        public long bytes() {
            return codes.length + 4L * nestedAbsmax.length + 4;
        }
    }
}
