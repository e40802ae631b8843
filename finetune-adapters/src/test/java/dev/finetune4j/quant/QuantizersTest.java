package dev.finetune4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.ModelSettings;
import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.WeightStore;
import dev.finetune4j.quant.fourbit.FourBitQuantizer;
import dev.finetune4j.quant.fourbit.FourBitType;
import dev.finetune4j.quant.fourbit.FourBitWeight;
import dev.finetune4j.quant.int8.Int8Quantizer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class QuantizersTest {

    @Test
    void foundByName() {
        assertEquals(FourBitType.NF4, assertInstanceOf(FourBitQuantizer.class, Quantizers.nf4()).type());
        assertEquals(FourBitType.FP4, assertInstanceOf(FourBitQuantizer.class, Quantizers.fp4()).type());
        assertTrue(Quantizers.nf4().doubleQuantization());
        assertFalse(Quantizers.get("NF4", false).doubleQuantization());
        assertInstanceOf(Int8Quantizer.class, Quantizers.int8());
        FineTuneException e = assertThrows(FineTuneException.class, () -> Quantizers.get("nf3", true));
        assertTrue(e.getMessage().contains("nf4"), e.getMessage());
    }

    @Test
    void fromLlamaFactorySettings() {
        assertNull(Quantizers.fromSettings(settings(0, "nf4", true)));
        Quantizer q = Quantizers.fromSettings(settings(4, "fp4", false));
        assertEquals("fp4", q.name());
        assertFalse(q.doubleQuantization());
        assertEquals("int8", Quantizers.fromSettings(settings(8, "nf4", true)).name());
    }

    private static ModelSettings settings(int bit, String type, boolean dq) {
        return new ModelSettings(null, null, "cpu", bit, type, dq, false);
    }

    @Test
    void nf4StoreBytesAndAcquireFromThePool() {
        // [896, 896]: 802816 weights = 12544 blocks of 64 = 49 nested blocks of 256
        Quantizer nf4 = Quantizers.nf4();
        long expected = 802816 / 2 + 12544 + 4 * 49 + 4;
        assertEquals(expected, nf4.storageBytes(896, 896));
        assertEquals(4.127, nf4.bitsPerWeight(896, 896), 0.001);
        assertEquals(4.5, Quantizers.get("nf4", false).bitsPerWeight(896, 896), 1e-9);

        SplittableRandom r = new SplittableRandom(5);
        float[] v = new float[896 * 896];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() - 0.5);
        }
        INDArray dense = Nd4j.createFromArray(v).reshape(896, 896);
        WeightStore s = nf4.quantize("model.layers.0.self_attn.q_proj.weight", dense);
        assertEquals(expected, s.storageBytes());
        FourBitWeight fw = assertInstanceOf(FourBitWeight.class, s);
        float[] flat = fw.tensor().dequantize();
        ArrayPool pool = new ArrayPool(Long.MAX_VALUE);
        try (ArrayPool.Activation a = pool.activate()) {
            INDArray w = s.acquire();
            assertEquals(DataType.FLOAT, w.dataType());
            assertEquals(896, w.size(0));
            for (int i : new int[] {0, 1, 895, 896, 12345, 802815}) {
                assertEquals(flat[i], w.getFloat(i / 896, i % 896));
                assertEquals(v[i], w.getFloat(i / 896, i % 896), 0.04);
            }
            long allocated = pool.allocatedBytes();
            s.release(w);
            assertTrue(pool.pooledBytes() >= 4L * 896 * 896, "the dense temporary went back to the pool");
            INDArray again = s.acquire();
            assertEquals(allocated, pool.allocatedBytes(), "the second acquire reused the buffer");
            s.release(again);
        }
    }

    @Test
    void doubleWeightsGiveDoubleDequantization() {
        INDArray w = Nd4j.rand(DataType.DOUBLE, 8, 64).subi(0.5);
        WeightStore s = Quantizers.fp4().quantize("w", w);
        INDArray d = s.acquire();
        assertEquals(DataType.DOUBLE, d.dataType());
        float[] flat = ((FourBitWeight) s).tensor().dequantize();
        assertEquals(flat[70], d.getDouble(1, 6), 0);
        s.release(d);
    }
}
