package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.cuda.CudaStatus.State;
import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.Precision;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class DevicePlanTest {
    private static final CudaStatus AMPERE = new CudaStatus(State.READY, 2, 8, 6, "");
    private static final CudaStatus MAXWELL = new CudaStatus(State.READY, 1, 5, 2, "");
    private static final CudaStatus HOPPER = new CudaStatus(State.UNSUPPORTED_GPU, 1, 9, 0, "");
    private static final CudaStatus NO_BACKEND = CudaStatus.of(State.NO_BACKEND, "");

    @Test
    void cpuNeverAsksCuda() {
        AtomicInteger probes = new AtomicInteger();
        DevicePlan plan = DevicePlan.choose(DeviceSpec.CPU, Precision.FP32, true, () -> {
            probes.incrementAndGet();
            return AMPERE;
        });
        assertEquals(DeviceSpec.CPU, plan.target());
        assertEquals(0, probes.get());
    }

    @Test
    void cudaWhenReady() {
        assertEquals(DeviceSpec.cuda(0), DevicePlan.choose(DeviceSpec.CUDA, Precision.FP32, false, () -> AMPERE).target());
        assertEquals(DeviceSpec.cuda(0), DevicePlan.choose(DeviceSpec.CUDA, Precision.FP16, true, () -> AMPERE).target());
        assertEquals(DeviceSpec.cuda(0), DevicePlan.choose(DeviceSpec.CUDA, Precision.BF16, true, () -> AMPERE).target());
    }

    @Test
    void cudaWithoutTheBackendIsTheOneLineThatSaysWhatToAdd() {
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> DevicePlan.choose(DeviceSpec.CUDA, Precision.FP32, true, () -> NO_BACKEND));
        assertEquals(NO_BACKEND.problem(DeviceSpec.CUDA), e.getMessage());
    }

    @Test
    void hopperIsRefusedNotCrashed() {
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> DevicePlan.choose(DeviceSpec.CUDA, Precision.FP32, true, () -> HOPPER));
        assertTrue(e.getMessage().contains("compute capability 9.0"), e.getMessage());
    }

    @Test
    void otherGpusThanTheFirstGoThroughCudaVisibleDevices() {
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> DevicePlan.choose(DeviceSpec.cuda(1), Precision.FP32, true, () -> AMPERE));
        assertEquals("device cuda:1: ND4J 1.0.0-M2.1 starts on the first visible GPU; run with CUDA_VISIBLE_DEVICES=1"
                + " and device cuda instead", e.getMessage());
        e = assertThrows(FineTuneException.class,
                () -> DevicePlan.choose(DeviceSpec.cuda(2), Precision.FP32, true, () -> AMPERE));
        assertEquals("device cuda:2: only 2 GPUs are visible (cuda:0 to cuda:1)", e.getMessage());
        e = assertThrows(FineTuneException.class,
                () -> DevicePlan.choose(DeviceSpec.cuda(1), Precision.FP32, true, () -> MAXWELL));
        assertEquals("device cuda:1: only 1 GPU is visible (cuda:0)", e.getMessage());
    }

    @Test
    void fp16NeedsPascalOrNewer() {
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> DevicePlan.choose(DeviceSpec.CUDA, Precision.FP16, true, () -> MAXWELL));
        assertTrue(e.getMessage().contains("fp16 needs compute capability 6.0"), e.getMessage());
        assertEquals(DeviceSpec.cuda(0), DevicePlan.choose(DeviceSpec.CUDA, Precision.FP32, true, () -> MAXWELL).target());
    }

    @Test
    void autoPrefersAUsableGpuElseTheCpu() {
        assertEquals(DeviceSpec.cuda(0), DevicePlan.choose(DeviceSpec.AUTO, Precision.FP32, true, () -> AMPERE).target());
        for (CudaStatus unusable : new CudaStatus[] {NO_BACKEND, HOPPER, CudaStatus.of(State.NO_DRIVER, "x"),
                CudaStatus.of(State.NO_NATIVES, "linux-x86_64"), CudaStatus.of(State.NO_DEVICE, "")}) {
            DevicePlan plan = DevicePlan.choose(DeviceSpec.AUTO, Precision.FP32, true, () -> unusable);
            assertEquals(DeviceSpec.CPU, plan.target());
            assertTrue(plan.reason().contains(unusable.summary()), plan.reason());
        }
    }

    @Test
    void autoWithNothingUsableSaysBoth() {
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> DevicePlan.choose(DeviceSpec.AUTO, Precision.FP32, false, () -> NO_BACKEND));
        assertTrue(e.getMessage().startsWith("device auto: no usable ND4J backend"), e.getMessage());
    }

    @Test
    void cpuRefusesHalfPrecisionAndAMissingBackend() {
        Supplier<CudaStatus> none = () -> NO_BACKEND;
        assertThrows(FineTuneException.class, () -> DevicePlan.choose(DeviceSpec.CPU, Precision.FP16, true, none));
        assertThrows(FineTuneException.class, () -> DevicePlan.choose(DeviceSpec.AUTO, Precision.BF16, true, none));
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> DevicePlan.choose(DeviceSpec.CPU, Precision.FP32, false, none));
        assertTrue(e.getMessage().contains("org.nd4j:nd4j-native"), e.getMessage());
    }
}
