package dev.finetune4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.finetune4j.quant.blockwise.BlockScales;
import dev.finetune4j.quant.blockwise.DynamicCodeMap;
import dev.finetune4j.quant.fourbit.FourBitTensor;
import dev.finetune4j.quant.fourbit.FourBitType;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * NF4 / FP4 against bitsandbytes' definition, with values checked by hand. The rule (CUDA kernel
 * {@code kQuantizeBlockwise}): per block of 64, {@code absmax = max|x|}; {@code y = x · (1/absmax)} in float; NF4
 * code = the interval of {@code y} between the tree thresholds (a value equal to a threshold takes the lower code);
 * dequantized value = {@code code book[code] · absmax}.
 */
class FourBitTensorTest {
    private static final float[] NF4 = {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f,
            0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f,
            0.5626170039176941f, 0.7229568362236023f, 1.0f};

    @Test
    void nf4CodeBookIsFormatsF1() {
        assertArrayEquals(NF4, FourBitType.NF4.codeBook());
    }

    @Test
    void nf4CodesOfKnownValues() {
        FourBitType t = FourBitType.NF4;
        assertEquals(15, t.code(1.0f));          // above the last threshold 0.86147843
        assertEquals(0, t.code(-1.0f));          // at or below -0.8480964
        assertEquals(12, t.code(0.5f));          // 0.44070983 (12) < 0.5 <= threshold 0.50166342 → 12, not 13
        assertEquals(13, t.code(0.502f));        // just above that threshold
        assertEquals(8, t.code(0.04f));          // > 0.03979015 → first positive code 0.0795803
        assertEquals(7, t.code(0.0397f));        // <= 0.03979015 → exact zero
        assertEquals(7, t.code(0f));
        assertEquals(7, t.code(-0.0455f));       // > -0.04552502 → zero
        assertEquals(6, t.code(-0.0456f));       // <= -0.04552502 → -0.09105004
        assertEquals(11, t.code(0.3f));          // between thresholds 0.29201377 and 0.38931254
        assertEquals(9, t.code(0.2035212516784668f)); // equal to threshold t9: "x > t" fails → lower code 9
        assertEquals(10, t.code(Math.nextUp(0.2035212516784668f)));
        assertEquals(1, t.code(-0.7f));          // -0.8480964 < -0.7 <= -0.61063293 → -0.6961928
        assertEquals(0, t.code(Float.NaN));      // all-zero block: 0·(1/0) = NaN fails every comparison → code 0
        for (int c = 0; c < 16; c++) {           // every code value maps to itself
            assertEquals(c, t.code(NF4[c]), "code " + c);
        }
    }

    @Test
    void fp4CodesOfKnownValues() {
        FourBitType t = FourBitType.FP4;
        // magnitudes of codes 0..7: 0, 0.0052083, 0.6666667, 1, 0.3333333, 0.5, 0.1666667, 0.25; bit 3 = sign
        assertEquals(0b0011, t.code(1.0f));
        assertEquals(0b1011, t.code(-1.0f));
        assertEquals(0b0101, t.code(0.5f));      // 0.41666670 < 0.5 <= 0.583333
        assertEquals(0b0100, t.code(0.3f));      // 0.29166667 < 0.3 <= 0.4166667 → 1/3
        assertEquals(0b0111, t.code(0.25f));     // 0.20833333 < 0.25 <= 0.29166667
        assertEquals(0b0110, t.code(0.2f));      // 0.0859375 < 0.2 <= 0.20833333 → 1/6
        assertEquals(0b0001, t.code(0.003f));    // 0.00260417 < 0.003 <= 0.0859375 → 0.0052083
        assertEquals(0b0000, t.code(0.002f));
        assertEquals(0b1000, t.code(-0.001f));   // negative: sign bit set even though the magnitude rounds to 0
        assertEquals(0b0010, t.code(0.7f));      // 0.583333 < 0.7 <= 0.8333333 → 2/3
        assertEquals(0b1010, t.code(-0.7f));
        assertEquals(0b0101, t.code(0.583333f)); // equal to the threshold → lower magnitude 0.5
        assertEquals(0b0000, t.code(Float.NaN));
        assertEquals(0.6666667f, t.value(0b0010));
        assertEquals(-0.25f, t.value(0b1111));
        assertEquals(0.005208333333f, t.value(0b0001));
        assertEquals(-0.0f, t.value(0b1000));
    }

    @Test
    void nf4BlockQuantizationPackingAndValues() {
        float[] x = new float[64 * 2 + 3];    // two full blocks and a partial block of 3 (odd)
        // block 0: absmax 2 (x[5]); 1/absmax = 0.5 exactly, so y = x/2
        x[0] = 1.0f;     // y 0.5 → 12 → 0.44070983·2
        x[1] = -2.0f;    // y -1 → 0 → -2
        x[2] = 0.08f;    // y 0.04 → 8
        x[3] = 0.6f;     // y 0.3 → 11
        x[5] = 2.0f;     // y 1 → 15
        // block 1: absmax 0.25 (x[64]); 1/0.25 = 4 exactly
        x[64] = -0.25f;  // y -1 → 0
        x[65] = 0.1f;    // y 0.4 → 12 (0.38931254 < 0.4 <= 0.50166342)
        // partial block: absmax 3
        x[128] = 3f;     // → 15
        x[129] = -1.5f;  // y -0.5 → 2 (-0.6106329 < -0.5 <= -0.45999527)
        x[130] = 0.0f;   // → 7; the pad element after it is quantized as 0 → 7 too
        FourBitTensor q = FourBitTensor.quantize(FourBitType.NF4, x, false);

        assertEquals(66, q.packed().length);  // ceil(131 / 2)
        assertEquals((byte) 0xC0, q.packed()[0]);  // element 0 high nibble (12), element 1 low nibble (0)
        assertEquals((byte) 0x8B, q.packed()[1]);  // 8, 11
        assertEquals((byte) 0x7F, q.packed()[2]);  // x[4] = 0 → 7, x[5] → 15
        assertEquals((byte) 0x77, q.packed()[3]);  // zeros
        assertEquals((byte) 0x0C, q.packed()[32]); // block 1 starts at byte 32
        assertEquals((byte) 0xF2, q.packed()[64]); // partial block
        assertEquals((byte) 0x77, q.packed()[65]); // x[130] = 0 and the zero pad
        assertArrayEquals(new float[] {2f, 0.25f, 3f}, q.scales().decode());

        float[] d = q.dequantize();
        assertEquals(NF4[12] * 2f, d[0]);
        assertEquals(-2f, d[1]);
        assertEquals(NF4[8] * 2f, d[2]);
        assertEquals(NF4[11] * 2f, d[3]);
        assertEquals(0f, d[4]);
        assertEquals(2f, d[5]);
        assertEquals(-0.25f, d[64]);
        assertEquals(NF4[12] * 0.25f, d[65]);
        assertEquals(3f, d[128]);
        assertEquals(NF4[2] * 3f, d[129]);
        assertEquals(0f, d[130]);
        assertEquals(131, d.length);
    }

    @Test
    void allZeroBlockDequantizesToZero() {
        FourBitTensor q = FourBitTensor.quantize(FourBitType.NF4, new float[64], false);
        assertEquals(0, q.code(0));  // NaN → code 0, as the kernel; its value -1·0 is (negative) zero
        for (float v : q.dequantize()) {
            assertEquals(0f, v, 0f);
        }
    }

    @Test
    void fp4BlockValues() {
        float[] x = new float[64];
        x[0] = 4f;       // absmax; 1/4 = 0.25 exactly
        x[1] = -2f;      // y -0.5 → 0b1101 → -0.5·4
        x[2] = 1.2f;     // y 0.3 → 0b0100 → (1/3)·4
        x[3] = 0.8f;     // y 0.2 → 0b0110 → (1/6)·4
        FourBitTensor q = FourBitTensor.quantize(FourBitType.FP4, x, false);
        assertEquals((byte) 0x3D, q.packed()[0]);
        assertEquals((byte) 0x46, q.packed()[1]);
        float[] d = q.dequantize();
        assertEquals(4f, d[0]);
        assertEquals(-2f, d[1]);
        assertEquals(0.33333333f * 4f, d[2]);
        assertEquals(0.16666667f * 4f, d[3]);
    }

    @Test
    void doubleQuantizationOfTheScales() {
        // two blocks with absmax 1 and 3: offset = mean = 2; centred [-1, 1]; one nested block, its absmax 1.
        // The dynamic map has no -1: its lowest code is index 0 = -0.99296874 (nearest to -1), and index 255 = 1.0.
        // Decoded absmax: -0.99296874·1 + 2 = 1.0070312 and 1·1 + 2 = 3.
        float[] x = new float[128];
        x[0] = 1f;
        x[64] = 3f;
        x[65] = -1.5f;
        FourBitTensor q = FourBitTensor.quantize(FourBitType.NF4, x, true);
        BlockScales.DoubleQuantized s = assertInstanceOf(BlockScales.DoubleQuantized.class, q.scales());
        assertEquals(2f, s.offset());
        assertArrayEquals(new float[] {1f}, s.nestedAbsmax());
        assertArrayEquals(new byte[] {0, (byte) 255}, s.codes());
        float low = DynamicCodeMap.signed()[0];
        assertEquals(-0.99296874f, low);
        assertArrayEquals(new float[] {low + 2f, 3f}, s.decode());
        float[] d = q.dequantize();
        assertEquals(low + 2f, d[0]);          // code 15 (1.0) times the decoded absmax
        assertEquals(1.0070313, d[0], 1e-7);
        assertEquals(3f, d[64]);
        assertEquals(NF4[2] * 3f, d[65]);      // y = -0.5 → code 2
        // 4 bits + 8/64 + (32/(64·256)) per weight, plus the 4-byte offset
        assertEquals(64 + 2 + 4 + 4, q.storageBytes());
    }

    @Test
    void packingRoundTripsAndRequantizingIsIdempotent() {
        SplittableRandom r = new SplittableRandom(7);
        for (FourBitType type : FourBitType.values()) {
            float[] x = new float[64 * 9000 + 17];   // codes span two 256 KiB heap chunks
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) ((r.nextDouble() * 2 - 1) * (1 + (i / 64) % 300));
            }
            FourBitTensor q = FourBitTensor.quantize(type, x, false);
            float[] d = q.dequantize();
            float[] absmax = q.scales().decode();
            for (int i = 0; i < x.length; i++) {
                // each value is its code's value times its block's absmax, and its code is what code() reads back
                assertEquals(type.value(q.code(i)) * absmax[i / 64], d[i], 0f);
                assertEquals(type.code(x[i] * (1.0f / absmax[i / 64])), q.code(i), "element " + i);
            }
            // dequantized values are fixed points (FP4's -0 code may come back as +0, the same value)
            FourBitTensor again = FourBitTensor.quantize(type, d, false);
            if (type == FourBitType.NF4) {
                assertArrayEquals(q.packed(), again.packed(), "NF4 codes are fixed points");
            }
            assertArrayEquals(d, again.dequantize(), 0f, type + ": dequantized values are fixed points");
        }
    }

    @Test
    void nf4ErrorIsSmallOnGaussianWeights() {
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[64 * 1000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        }
        for (boolean dq : new boolean[] {false, true}) {
            float[] d = FourBitTensor.quantize(FourBitType.NF4, x, dq).dequantize();
            double se = 0;
            for (int i = 0; i < x.length; i++) {
                se += (x[i] - d[i]) * (x[i] - d[i]);
            }
            double rmse = Math.sqrt(se / x.length);
            // NF4 on N(0,1) blocks of 64: RMS error about 0.1 (of a unit-variance weight)
            org.junit.jupiter.api.Assertions.assertTrue(rmse < 0.12, "rmse " + rmse + " dq " + dq);
        }
    }
}
