package dev.finetune4j.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceSpecTest {

    @Test
    void parsesEveryAcceptedForm() {
        assertEquals(DeviceSpec.CPU, DeviceSpec.parse("cpu"));
        assertEquals(DeviceSpec.CUDA, DeviceSpec.parse("cuda"));
        assertEquals(DeviceSpec.CUDA, DeviceSpec.parse("GPU"));
        assertEquals(DeviceSpec.cuda(0), DeviceSpec.parse("cuda:0"));
        assertEquals(DeviceSpec.cuda(3), DeviceSpec.parse(" CUDA:3 "));
        assertEquals(DeviceSpec.cuda(12), DeviceSpec.parse("cuda:12"));
        assertEquals(DeviceSpec.AUTO, DeviceSpec.parse("Auto"));
    }

    @Test
    void cudaWithoutIndexIsDeviceZero() {
        assertEquals(DeviceSpec.Kind.CUDA, DeviceSpec.CUDA.kind());
        assertEquals(0, DeviceSpec.CUDA.index());
        assertTrue(DeviceSpec.CUDA.isCuda());
        assertFalse(DeviceSpec.AUTO.isCuda());
    }

    @Test
    void canonicalTextReadsBack() {
        for (DeviceSpec d : new DeviceSpec[] {DeviceSpec.CPU, DeviceSpec.CUDA, DeviceSpec.cuda(2), DeviceSpec.AUTO}) {
            assertEquals(d, DeviceSpec.parse(d.toString()));
        }
        assertEquals("cuda:0", DeviceSpec.CUDA.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "tpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1:2", "cpu:0", "cuda:99999", "mps"})
    void rejectsOtherTextWithOneLineSayingWhatIsAccepted(String text) {
        FineTuneException e = assertThrows(FineTuneException.class, () -> DeviceSpec.parse(text));
        assertTrue(e.getMessage().contains("expected cpu, cuda"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void rejectsNull() {
        assertThrows(FineTuneException.class, () -> DeviceSpec.parse(null));
    }

    @Test
    void onlyCudaTakesAnIndex() {
        assertThrows(IllegalArgumentException.class, () -> new DeviceSpec(DeviceSpec.Kind.CPU, 1));
        assertThrows(IllegalArgumentException.class, () -> DeviceSpec.cuda(-1));
    }
}
