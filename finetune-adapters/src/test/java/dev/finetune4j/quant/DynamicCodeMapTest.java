package dev.finetune4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.quant.blockwise.Blockwise8Bit;
import dev.finetune4j.quant.blockwise.DynamicCodeMap;
import java.io.InputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DynamicCodeMapTest {

    @Test
    void equalsTorchBitForBit() throws Exception {
        JsonNode golden;
        try (InputStream in = getClass().getResourceAsStream("/quant-golden/dynamic_map.json")) {
            golden = new ObjectMapper().readTree(in);
        }
        float[] map = DynamicCodeMap.signed();
        JsonNode bits = golden.get("float32_bits");
        assertEquals(256, bits.size());
        for (int i = 0; i < 256; i++) {
            int expected = (int) bits.get(i).asLong();
            if (Float.intBitsToFloat(expected) == 0f && map[i] == 0f) {
                continue; // the sorted zeros: only one 0 is in the map
            }
            assertEquals(expected, Float.floatToIntBits(map[i]), "index " + i + ": " + map[i] + " vs "
                    + Float.intBitsToFloat(expected));
        }
    }

    @Test
    void shapeOfTheMap() {
        float[] m = DynamicCodeMap.signed();
        assertEquals(-0.99296874f, m[0]);   // the midpoint of 0.9859375 and 1.0: -1 itself is not a code
        assertEquals(0f, m[127]);
        assertEquals(1.0f, m[255]);
        assertEquals(0.99296874f, m[254]);
        assertEquals(5.5e-7f, m[128], 1e-13f);  // (0.1 + 1) / 2 · 1e-6
        for (int i = 1; i < 256; i++) {
            org.junit.jupiter.api.Assertions.assertTrue(m[i] > m[i - 1], "ascending at " + i);
        }
    }

    @Test
    void blockwiseCodesAreTheNearestMapValues() {
        // the kernel's binary search ends at the nearer neighbour (ties aside), so it agrees with a brute-force
        // nearest search on random values
        float[] m = DynamicCodeMap.signed();
        SplittableRandom r = new SplittableRandom(11);
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((r.nextDouble() * 2 - 1) * Math.pow(10, -r.nextInt(5)));
        }
        Blockwise8Bit.Quantized q = Blockwise8Bit.quantize(x, 256);
        for (int i = 0; i < x.length; i++) {
            float y = x[i] * (1.0f / q.absmax()[i / 256]);
            int best = 0;
            for (int k = 1; k < 256; k++) {
                if (Math.abs(m[k] - y) < Math.abs(m[best] - y)) {
                    best = k;
                }
            }
            int got = q.codes()[i] & 0xFF;
            assertEquals(Math.abs(m[best] - y), Math.abs(m[got] - y), 0f, "element " + i);
        }
        float[] d = Blockwise8Bit.dequantize(q.codes(), q.absmax(), 256);
        for (int i = 0; i < x.length; i++) {
            assertEquals(m[q.codes()[i] & 0xFF] * q.absmax()[i / 256], d[i]);
        }
    }
}
