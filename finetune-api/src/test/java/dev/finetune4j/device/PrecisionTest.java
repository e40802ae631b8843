package dev.finetune4j.device;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class PrecisionTest {

    @Test
    void parsesNamesAndAliases() {
        assertEquals(Precision.FP32, Precision.parse("fp32"));
        assertEquals(Precision.FP32, Precision.parse("FLOAT32"));
        assertEquals(Precision.FP16, Precision.parse("half"));
        assertEquals(Precision.FP16, Precision.parse(" fp16 "));
        assertEquals(Precision.BF16, Precision.parse("bfloat16"));
        FineTuneException e = assertThrows(FineTuneException.class, () -> Precision.parse("fp8"));
        assertEquals("precision 'fp8': expected fp32, fp16 or bf16", e.getMessage());
    }

    @Test
    @SuppressWarnings("deprecation") // HALF: what ND4J 1.0.0-M2.1 uses, see Precision.FP16
    void masterWeightsAreAlwaysFp32() {
        for (Precision p : Precision.values()) {
            assertEquals(DataType.FLOAT, p.masterType());
        }
        assertEquals(DataType.HALF, Precision.FP16.computeType());
        assertEquals(DataType.BFLOAT16, Precision.BF16.computeType());
    }

    @Test
    void onlyFp32IsUsableOnTheCpu() {
        assertDoesNotThrow(Precision.FP32::requireCpuSupport);
        FineTuneException e = assertThrows(FineTuneException.class, Precision.BF16::requireCpuSupport);
        assertTrue(e.getMessage().startsWith("precision bf16 on the CPU"), e.getMessage());
    }
}
