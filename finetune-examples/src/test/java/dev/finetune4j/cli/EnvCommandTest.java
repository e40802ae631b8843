package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void reportsTheDeviceAndWhyCudaIsNotUsed() {
        CliTestSupport.Result r = CliTestSupport.run("env");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().matches("(?s).*\\ndevice:\\s+cpu \\(.*cores\\)\\n.*"), r.out());
        // this module's classpath has no CUDA backend (it comes with -Pcuda)
        assertTrue(r.out().contains("cuda:            not on the classpath (build with -Pcuda"), r.out());
        assertEquals(0, CliTestSupport.run("env", "--device", "cpu").exitCode());
    }

    @Test
    void cudaWithoutTheBackendExitsOneWithOneLineSayingWhatToAdd() {
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
