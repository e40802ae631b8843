package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What must happen before ND4J starts can only be seen in a JVM where it has not started yet: these tests run
 * {@link ActivateAndReport} in a child JVM on this module's test classpath (both backends registered).
 */
class FreshJvmTest {

    record Run(int exitCode, String output) {
    }

    static Run java(List<String> jvmArgs, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ActivateAndReport.class.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not finish");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void withoutChoosingTheDeviceNd4jTriesTheCudaBackendFirst() throws Exception {
        // the control: what the filter prevents (ND4J instantiates JCublasBackend by priority and calls canRun)
        Run r = java(List.of(), "plain");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("JCublasBackend"), r.output());
    }

    @Test
    void choosingTheCpuNeverTouchesTheCudaBackend() throws Exception {
        Run r = java(List.of(), "activate", "cpu");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("backend=CpuBackend"), r.output());
        assertFalse(r.output().contains("JCublasBackend"), r.output());
        assertFalse(r.output().contains("cudart"), r.output());
    }

    @Test
    void javacppLimitsAreAppliedBeforeNd4jStarts() throws Exception {
        Run r = java(List.of("-Dfinetune4j.gpu.host_memory_limit=1g", "-Dfinetune4j.gpu.host_physical_memory_limit=3g"),
                "activate", "cpu");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("maxBytes=" + (1L << 30)), r.output());
        assertTrue(r.output().contains("maxPhysicalBytes=" + (3L << 30)), r.output());
    }

    @Test
    void javacppLimitsAreAppliedBeforeTheCudaProbeLoadsJavacpp() throws Exception {
        // auto probes CUDA first (under -Pcuda that loads JavaCPP's cudart bindings); the limits must already be set
        Run r = java(List.of("-Dfinetune4j.gpu.host_memory_limit=1g", "-Dfinetune4j.gpu.host_physical_memory_limit=3g"),
                "activate", "auto");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("maxBytes=" + (1L << 30)), r.output());
        assertTrue(r.output().contains("maxPhysicalBytes=" + (3L << 30)), r.output());
    }

    @Test
    void aBadSettingStopsBeforeNd4jStarts() throws Exception {
        Run r = java(List.of("-Dfinetune4j.gpu.device_cache=lots"), "activate", "cpu");
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().contains("device setting device_cache='lots': expected a size"), r.output());
        assertFalse(r.output().contains("backend="), r.output());
    }
}
