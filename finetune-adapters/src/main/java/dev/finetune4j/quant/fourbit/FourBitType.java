package dev.finetune4j.quant.fourbit;

/**
 * The two 4-bit data types of bitsandbytes ({@code quant_type} {@code nf4} and {@code fp4}): which code a value
 * normalised to [-1, 1] gets, and which value a code stands for. Both follow bitsandbytes' CUDA kernels
 * ({@code dQuantizeNF4}/{@code dDequantizeNF4}, {@code dQuantizeFP4}/{@code dDequantizeFP4Tree}): a value gets the
 * code of the interval it falls in, the intervals being split at fixed thresholds with "greater than" (a value equal
 * to a threshold goes to the lower code; NaN, from an all-zero block, gets the lowest code, exactly as the kernel's
 * comparisons do).
 */
public enum FourBitType {
    /**
     * 4-bit NormalFloat (QLoRA): 16 quantiles of N(0, 1) scaled to [-1, 1], 7 negative, an exact 0 (code 7) and 8
     * positive, ordered by value (code i = i-th smallest). Thresholds: bitsandbytes' tree constants, which are (up to
     * the last float bit) the midpoints between neighbouring codes.
     */
    NF4(new float[] {
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
            -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
            0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
            0.7229568362236023f, 1.0f},
            new float[] {
            -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f,
            -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
            0.1202552504837513f, 0.2035212516784668f, 0.2920137718319893f, 0.3893125355243683f,
            0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f}) {
        @Override
        public int code(float x) {
            float[] t = thresholds;
            int i = x > t[7] ? 8 : 0;
            i += x > t[i + 3] ? 4 : 0;
            i += x > t[i + 1] ? 2 : 0;
            return i + (x > t[i] ? 1 : 0);
        }
    },

    /**
     * bitsandbytes' FP4 (1 sign bit, then an E2M1-like magnitude with exponent bias 3 scaled by 1/12): bit 3 is the
     * sign; the low three bits index the magnitudes {0, 0.005208333, 0.6666667, 1, 0.33333334, 0.5, 0.16666667, 0.25}.
     * A negative value gets the sign bit even when its magnitude rounds to 0 (code 8 = -0).
     */
    FP4(fp4Values(), new float[] {0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f, 0.4166667f, 0.583333f,
            0.8333333f}) {
        @Override
        public int code(float x) {
            int sign = x < 0 ? 0b1000 : 0;
            float m = Math.abs(x);
            float[] t = thresholds;
            int i = m > t[3] ? 4 : 0;
            i += m > t[i + 1] ? 2 : 0;
            i += m > t[i] ? 1 : 0;
            return sign | FP4_RANK_TO_CODE[i];
        }
    };

    /** FP4 magnitude rank (0 = smallest) → its 3-bit magnitude code. */
    private static final int[] FP4_RANK_TO_CODE = {0b000, 0b001, 0b110, 0b111, 0b100, 0b101, 0b010, 0b011};

    private static float[] fp4Values() {
        float[] magnitude = {0.0f, 0.005208333333f, 0.66666667f, 1.0f, 0.33333333f, 0.5f, 0.16666667f, 0.25f};
        float[] v = new float[16];
        for (int c = 0; c < 16; c++) {
            float sign = 1.0f - 2 * ((c & 0b1000) >> 3);
            v[c] = magnitude[c & 0b111] * sign;
        }
        return v;
    }

    private final float[] values;
    final float[] thresholds;
    /** For a packed byte b: the value of its high nibble (element 2j) and of its low nibble (element 2j+1). */
    final float[] highValue = new float[256];
    final float[] lowValue = new float[256];

    FourBitType(float[] values, float[] thresholds) {
        this.values = values;
        this.thresholds = thresholds;
        for (int b = 0; b < 256; b++) {
            highValue[b] = values[b >>> 4];
            lowValue[b] = values[b & 0x0F];
        }
    }

    /** The code (0..15) of {@code x}, a weight already multiplied by {@code 1/absmax} of its block. */
    public abstract int code(float x);

    /** The normalised value of {@code code} (multiply by the block's absmax to dequantize). */
    public float value(int code) {
        return values[code & 0x0F];
    }

    /** The 16 code values (bitsandbytes' {@code quant_map}). */
    public float[] codeBook() {
        return values.clone();
    }

    /** The name in bitsandbytes / LLaMA-Factory ({@code nf4}, {@code fp4}). */
    public String quantType() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
