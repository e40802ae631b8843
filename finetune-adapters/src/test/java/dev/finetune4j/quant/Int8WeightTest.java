package dev.finetune4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune4j.nn.WeightStore;
import dev.finetune4j.quant.int8.Int8Weight;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Int8WeightTest {

    @Test
    void rowwiseAbsmaxCodesAndValues() {
        // row 0: SCB = 127, scale 127/127 = 1: CB = rint(x): -63.5 → -64 and 0.5 → 0 (round half to even, as
        // CUDA's __float2int_rn); row 1: SCB = 2, scale 63.5: 1 → 63.5 → 64 (even), -2 → -127, 0.5 → 31.75 → 32
        INDArray w = Nd4j.createFromArray(new float[][] {{127f, -63.5f, 0.5f, 1f}, {1f, -2f, 0.5f, 0f}});
        WeightStore s = Quantizers.int8().quantize("w", w);
        Int8Weight q = (Int8Weight) s;
        assertArrayEquals(new byte[] {127, -64, 0, 1, 64, -127, 32, 0}, q.cb());
        assertArrayEquals(new float[] {127f, 2f}, q.scb());
        INDArray d = s.acquire();
        float inv = 7.874015718698502e-3f;
        assertEquals(127 * 127f * inv, d.getFloat(0, 0));
        assertEquals(-64 * 127f * inv, d.getFloat(0, 1));
        assertEquals(64 * 2f * inv, d.getFloat(1, 0));
        assertEquals(-127 * 2f * inv, d.getFloat(1, 1));
        assertEquals(1.0078740f, d.getFloat(1, 0), 1e-6f);
        s.release(d);
        assertEquals(8 + 8, s.storageBytes());
        assertEquals(16, Quantizers.int8().storageBytes(2, 4));
    }

    @Test
    void doubleWeightsDequantizeToDouble() {
        INDArray w = Nd4j.createFromArray(new double[][] {{1, -0.5}, {0.25, 0.125}});
        WeightStore s = Quantizers.int8().quantize("w", w);
        INDArray d = s.acquire();
        assertEquals(DataType.DOUBLE, d.dataType());
        assertEquals(-64 * 1f * 7.874015718698502e-3f, d.getDouble(0, 1), 0);
        s.release(d);
    }
}
