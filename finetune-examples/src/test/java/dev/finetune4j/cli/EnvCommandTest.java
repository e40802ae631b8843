package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.finetune4j.cuda.CudaDeviceSupport;
import dev.finetune4j.cuda.CudaStatus;
import dev.finetune4j.device.DeviceSpec;

import org.junit.jupiter.api.Test;

class EnvCommandTest {

    @Test
    void printsBackendCoresAndMemory() {
        CliTestSupport.Result r = CliTestSupport.run("env");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("backend:"), r.out());
        assertTrue(r.out().contains("CpuBackend"), r.out());
        assertTrue(r.out().matches("(?s).*cores:\\s+\\d+.*"), r.out());
    }

    @Test
    void reportsTheDeviceAndWhatCudaLooksLike() {
        CudaStatus cuda = CudaDeviceSupport.cudaStatus(true);
        CliTestSupport.Result r = CliTestSupport.run("env");
        assertEquals(0, r.exitCode(), r.err());
        String device = cuda.usable() ? "cuda:0 \\(.*compute capability.*\\)" : "cpu \\(.*cores\\)";
        assertTrue(r.out().matches("(?s).*\\ndevice:\\s+" + device + "\\n.*"), r.out());
        assertTrue(r.out().contains("\ncuda:            " + cuda.summary() + "\n"), r.out());
    }

    @Test
    void withoutTheCudaBackendTheCudaLineSaysHowToGetIt() {
        assumeTrue(CudaDeviceSupport.cudaStatus(false).state() == CudaStatus.State.NO_BACKEND, "built with -Pcuda");
        CliTestSupport.Result r = CliTestSupport.run("env", "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("cuda:            not on the classpath (build with -Pcuda, or add"
                + " org.nd4j:nd4j-cuda-11.6:1.0.0-M2.1)"), r.out());
        assertTrue(r.out().contains("device:          cpu ("), r.out());
    }

    @Test
    void cudaWithoutTheBackendExitsOneWithOneLineSayingWhatToAdd() {
        assumeTrue(CudaDeviceSupport.cudaStatus(false).state() == CudaStatus.State.NO_BACKEND, "built with -Pcuda");
        CliTestSupport.Result r = CliTestSupport.run("env", "--device", "cuda");
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertEquals("finetune: device cuda:0: the ND4J CUDA backend is not on the classpath; add"
                + " org.nd4j:nd4j-cuda-11.6:1.0.0-M2.1 with its linux-x86_64 natives (build with -Pcuda), and install"
                + " the CUDA 11.6 runtime (libcudart.so.11.0, cuBLAS, cuSOLVER) or add"
                + " org.bytedeco:cuda:11.6-8.3-1.5.7:linux-x86_64-redist (build with -Pcuda,cuda-redist)",
                r.err().strip());
        assertEquals(1, CliTestSupport.run("env", "--device", "cuda:1").exitCode());
    }

    @Test
    void cudaThatCannotRunExitsOneWithTheProbesLine() {
        CudaStatus cuda = CudaDeviceSupport.cudaStatus(true);
        assumeTrue(!cuda.usable(), "a usable GPU is here");
        CliTestSupport.Result r = CliTestSupport.run("env", "--device", "cuda");
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertEquals("finetune: " + cuda.problem(DeviceSpec.CUDA), r.err().strip());
    }

    @Test
    void anUnknownDeviceIsAUsageError() {
        CliTestSupport.Result r = CliTestSupport.run("env", "--device", "tpu");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("device 'tpu': expected cpu, cuda, cuda:N (N = 0, 1, ...) or auto"), r.err());
    }

    @Test
    void helpWorks() {
        CliTestSupport.Result r = CliTestSupport.run("env", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("Usage: finetune env"), r.out());
    }

    @Test
    void unknownCommandIsAUsageError() {
        CliTestSupport.Result r = CliTestSupport.run("no-such-command");
        assertEquals(2, r.exitCode());
    }
}
