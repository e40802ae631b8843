package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.device.ActiveDevice;
import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.Devices;
import dev.finetune4j.device.Precision;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.common.config.ND4JClassLoading;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The CPU path end to end, in this JVM, where both backends are registered (see BackendServiceFilterTest): the
 * device is chosen through {@link Devices} (finding {@link CudaDeviceSupport} by ServiceLoader) before anything
 * else touches ND4J, and the CUDA backend stays hidden.
 */
class CpuDeviceTest {
    private static ActiveDevice cpu;

    @BeforeAll
    static void chooseTheCpu() {
        cpu = Devices.activate(DeviceSpec.CPU);
    }

    @Test
    void nd4jRunsOnTheCpuBackendWithTheCudaRegistrationHidden() {
        assertEquals(DeviceSpec.CPU, cpu.device());
        assertEquals("CpuBackend", cpu.backend());
        assertEquals(CudaProbe.CPU_BACKEND_CLASS, Nd4j.getBackend().getClass().getName());
        BackendServiceFilter filter = assertInstanceOf(BackendServiceFilter.class, ND4JClassLoading.getNd4jClassloader());
        assertTrue(filter.hiddenLocation().contains("nd4j-cuda-11.6"), filter.hiddenLocation());
        assertSame(cpu, CudaDeviceSupport.active().orElseThrow());
    }

    @Test
    void askingAgainForTheSameDeviceReturnsIt() {
        assertSame(cpu, Devices.activate(DeviceSpec.CPU));
        assertSame(cpu, Devices.activate(DeviceSpec.AUTO));
    }

    @Test
    void askingForCudaNowSaysWhatIsMissingOrThatTheDeviceIsTaken() {
        FineTuneException e = assertThrows(FineTuneException.class, () -> Devices.activate(DeviceSpec.CUDA));
        CudaStatus status = CudaDeviceSupport.cudaStatus(true);
        if (status.usable()) {
            assertEquals("device cuda:0: this process already runs ND4J on cpu; the device can be chosen once per"
                    + " process", e.getMessage());
        } else {
            assertEquals(status.problem(DeviceSpec.CUDA), e.getMessage());
        }
    }

    @Test
    void settingsAndPrecisionCannotChangeOnceStarted() {
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> Devices.activate(DeviceSpec.CPU, Precision.FP32, Map.of("device_cache", "1g")));
        assertTrue(e.getMessage().endsWith("they apply when ND4J starts, once per process"), e.getMessage());
        assertThrows(FineTuneException.class, () -> Devices.activate(DeviceSpec.CPU, Precision.FP16, Map.of()));
    }

    @Test
    void denseLinearAndGemmGiveTheReferenceNumbersOnTheCpu() {
        new LinearReference().checkDenseLinear(DataType.FLOAT, 1e-5);
        new LinearReference().checkDenseLinear(DataType.DOUBLE, 1e-12);
        LinearReference.checkGemm(DataType.FLOAT, 1e-5);
        LinearReference.checkGemm(DataType.DOUBLE, 1e-12);
    }
}
