package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.cuda.CudaStatus.State;
import dev.finetune4j.device.DeviceSpec;
import org.junit.jupiter.api.Test;

class CudaStatusTest {

    @Test
    void missingBackendSaysWhatToAddInOneLine() {
        String m = CudaStatus.of(State.NO_BACKEND, "").problem(DeviceSpec.CUDA);
        assertEquals("device cuda:0: the ND4J CUDA backend is not on the classpath; add org.nd4j:nd4j-cuda-11.6:1.0.0-M2.1"
                + " with its linux-x86_64 natives (build with -Pcuda), and install the CUDA 11.6 runtime"
                + " (libcudart.so.11.0, cuBLAS, cuSOLVER) or add org.bytedeco:cuda:11.6-8.3-1.5.7:linux-x86_64-redist"
                + " (build with -Pcuda,cuda-redist)", m);
    }

    @Test
    void everyProblemIsOneLineStartingWithTheDevice() {
        for (State s : State.values()) {
            CudaStatus status = s == State.UNSUPPORTED_GPU ? new CudaStatus(s, 1, 9, 0, "")
                    : CudaStatus.of(s, s == State.NO_NATIVES ? "linux-x86_64" : "some detail");
            String m = status.problem(DeviceSpec.cuda(0));
            assertTrue(m.startsWith("device cuda:0: "), m);
            assertFalse(m.contains("\n"), m);
            assertFalse(status.summary().isBlank());
        }
    }

    @Test
    void hopperIsNamedAsUnsupported() {
        String m = new CudaStatus(State.UNSUPPORTED_GPU, 1, 9, 0, "").problem(DeviceSpec.CUDA);
        assertTrue(m.contains("compute capability 9.0"), m);
        assertTrue(m.contains("3.7 to 8.6 (no PTX)"), m);
        assertTrue(m.contains("Hopper H100/H200"), m);
    }

    @Test
    void detailsAreQuoted() {
        assertEquals("device cuda:0: no usable NVIDIA driver (libcuda.so.1: cannot open shared object file); install an"
                + " NVIDIA driver for CUDA 11 (450.80.02 or newer) on a machine with an NVIDIA GPU",
                CudaStatus.of(State.NO_DRIVER, "libcuda.so.1: cannot open shared object file").problem(DeviceSpec.CUDA));
        assertEquals("device cuda:0: the natives of the ND4J CUDA backend for linux-x86_64 are missing; add"
                + " org.nd4j:nd4j-cuda-11.6:1.0.0-M2.1:linux-x86_64 (build with -Pcuda)",
                CudaStatus.of(State.NO_NATIVES, "linux-x86_64").problem(DeviceSpec.CUDA));
        assertEquals("ready: 2 GPUs, GPU 0 compute capability 8.6", new CudaStatus(State.READY, 2, 8, 6, "").summary());
    }
}
