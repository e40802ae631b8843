package dev.finetune4j.checkpoint;

/** IEEE half (F16) and bfloat16 (BF16) conversions; Java 17 has no {@code Float.float16ToFloat}. */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** BF16 bits (the top 16 bits of an F32) to float: exact. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Float to BF16 with round-to-nearest-even (as PyTorch does); NaN stays NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** IEEE 754 half to float: exact, including subnormals, infinities and NaN. */
    public static float f16ToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal: mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** Float to IEEE half with round-to-nearest-even; overflow gives infinity. */
    public static short floatToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign; // underflows to zero
            }
            mant |= 0x800000; // implicit leading one
            int shift = 14 - e;
            int halfMant = mant >>> shift;
            int rest = mant & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (halfMant & 1) == 1)) {
                halfMant++;
            }
            return (short) (sign | halfMant);
        }
        int halfMant = mant >>> 13;
        int rest = mant & 0x1FFF;
        int out = sign | (e << 10) | halfMant;
        if (rest > 0x1000 || (rest == 0x1000 && (halfMant & 1) == 1)) {
            out++; // may carry into the exponent, which is the correct rounding
        }
        return (short) out;
    }
}
