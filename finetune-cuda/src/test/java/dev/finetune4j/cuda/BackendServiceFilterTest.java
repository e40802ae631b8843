package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4jBackend;

/**
 * This module's test classpath registers both ND4J backends (nd4j-native's CpuBackend and, from the provided
 * nd4j-cuda-11.6 jar, JCublasBackend): exactly the situation in which ND4J would pick CUDA by priority.
 * Provider types are listed without instantiating any backend.
 */
class BackendServiceFilterTest {
    private final ClassLoader here = BackendServiceFilterTest.class.getClassLoader();

    private static List<String> backends(ClassLoader loader) {
        return ServiceLoader.load(Nd4jBackend.class, loader).stream().map(p -> p.type().getSimpleName()).sorted().toList();
    }

    @Test
    void bothBackendsAreRegisteredUnfiltered() {
        assertEquals(List.of("CpuBackend", "JCublasBackend"), backends(here));
    }

    @Test
    void hidingTheCudaJarLeavesOnlyTheCpuBackend() {
        String cudaJar = BackendServiceFilter.locationOf(CudaProbe.BACKEND_CLASS, here).orElseThrow();
        assertTrue(cudaJar.contains("nd4j-cuda-11.6"), cudaJar);
        assertEquals(List.of("CpuBackend"), backends(new BackendServiceFilter(here, cudaJar)));
    }

    @Test
    void hidingTheCpuJarLeavesOnlyTheCudaBackend() {
        String cpuJar = BackendServiceFilter.locationOf(CudaProbe.CPU_BACKEND_CLASS, here).orElseThrow();
        assertTrue(cpuJar.contains("nd4j-native"), cpuJar);
        assertEquals(List.of("JCublasBackend"), backends(new BackendServiceFilter(here, cpuJar)));
    }

    @Test
    void classesStillComeFromTheParent() throws Exception {
        String cudaJar = BackendServiceFilter.locationOf(CudaProbe.BACKEND_CLASS, here).orElseThrow();
        BackendServiceFilter f = new BackendServiceFilter(here, cudaJar);
        assertSame(Class.forName(CudaProbe.BACKEND_CLASS, false, here), Class.forName(CudaProbe.BACKEND_CLASS, false, f));
        assertTrue(f.getResource("nd4j-jcublas.properties") != null, "non-service resources stay visible");
    }

    @Test
    void locationOfAnAbsentClassIsEmpty() {
        assertTrue(BackendServiceFilter.locationOf("no.such.Backend", here).isEmpty());
    }
}
