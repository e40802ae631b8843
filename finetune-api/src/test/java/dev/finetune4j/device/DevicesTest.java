package dev.finetune4j.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** finetune-api alone (no finetune-cuda on this classpath): only the CPU. */
class DevicesTest {

    @Test
    void withoutFinetuneCudaTheFallbackIsUsed() {
        assertInstanceOf(Devices.CpuOnly.class, Devices.support());
    }

    @Test
    void cudaWithoutFinetuneCudaSaysWhatToAdd() {
        FineTuneException e = assertThrows(FineTuneException.class, () -> Devices.activate(DeviceSpec.parse("cuda")));
        assertTrue(e.getMessage().startsWith("device cuda:0: finetune-cuda is not on the classpath; add"), e.getMessage());
        assertTrue(e.getMessage().contains("-Pcuda"), e.getMessage());
    }

    @Test
    void cpuAndAutoRunOnTheCpuBackend() {
        ActiveDevice cpu = Devices.activate(DeviceSpec.CPU);
        assertEquals(DeviceSpec.CPU, cpu.device());
        assertEquals("CpuBackend", cpu.backend());
        assertEquals("", cpu.computeCapability());
        assertTrue(cpu.totalMemoryBytes() > 0);
        assertEquals(DeviceSpec.CPU, Devices.activate(DeviceSpec.AUTO).device());
    }

    @Test
    void halfPrecisionAndGpuSettingsAreRefusedOnTheCpu() {
        assertThrows(FineTuneException.class, () -> Devices.activate(DeviceSpec.CPU, Precision.FP16, Map.of()));
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> Devices.activate(DeviceSpec.CPU, Precision.FP32, Map.of("device_cache", "1g")));
        assertTrue(e.getMessage().contains("finetune-cuda"), e.getMessage());
    }
}
