package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.cuda.CudaStatus.State;
import org.junit.jupiter.api.Test;

/**
 * The presence checks, on this module's test classpath (the CUDA backend's Java classes are there: they are a
 * provided dependency) with parts hidden. None of these loads a native library.
 */
class CudaProbeTest {
    private final ClassLoader here = CudaProbeTest.class.getClassLoader();

    @Test
    void theBackendClassIsDetectedWithoutInitialisingIt() {
        assertTrue(CudaProbe.classPresent(CudaProbe.BACKEND_CLASS, here));
        assertTrue(CudaProbe.classPresent(CudaProbe.CPU_BACKEND_CLASS, here));
    }

    @Test
    void withoutTheBackendClassesTheStateIsNoBackend() {
        ClassLoader l = new HidingClassLoader(here, "org/nd4j/linalg/jcublas/");
        assertEquals(State.NO_BACKEND, CudaProbe.checkClasspath(l).state());
        assertEquals(State.NO_BACKEND, CudaProbe.probe(l).state());
    }

    @Test
    void withoutTheNativesJarTheStateIsNoNatives() {
        ClassLoader l = new HidingClassLoader(here, "org/nd4j/linalg/jcublas/bindings/" + CudaProbe.platform() + "/");
        CudaStatus s = CudaProbe.probe(l);
        assertEquals(State.NO_NATIVES, s.state());
        assertEquals(CudaProbe.platform(), s.detail());
    }

    @Test
    void withoutJavacppCudaBindingsTheStateIsNoCudaBindings() {
        // the natives resource is made present by a loader that answers for it, whatever the profile
        ClassLoader withNatives = new ClassLoader("natives", new HidingClassLoader(here, "org/bytedeco/cuda/")) {
            @Override
            public java.net.URL getResource(String name) {
                if (name.startsWith("org/nd4j/linalg/jcublas/bindings/")) {
                    return here.getResource("META-INF/services/dev.finetune4j.device.DeviceSupport");
                }
                return super.getResource(name);
            }
        };
        assertEquals(State.NO_CUDA_BINDINGS, CudaProbe.checkClasspath(withNatives).state());
    }

    @Test
    void thePresenceCheckNeverClaimsReady() {
        ClassLoader withNatives = new ClassLoader("natives", here) {
            @Override
            public java.net.URL getResource(String name) {
                if (name.startsWith("org/nd4j/linalg/jcublas/bindings/") || name.startsWith("org/bytedeco/cuda/")) {
                    return here.getResource("META-INF/services/dev.finetune4j.device.DeviceSupport");
                }
                return super.getResource(name);
            }
        };
        CudaStatus s = CudaProbe.checkClasspath(withNatives);
        assertEquals(State.ON_CLASSPATH, s.state());
        assertEquals("backend and natives on the classpath (runtime not probed)", s.summary());
    }

    @Test
    void platformIsJavacppsClassifier() {
        String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch");
        if (os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
            assertEquals("linux-x86_64", CudaProbe.platform());
        }
        assertTrue(CudaProbe.platform().matches("[a-z]+-[a-z0-9_]+"), CudaProbe.platform());
    }

    @Test
    void rootMessageIsTheInnermostOnOneLine() {
        Throwable t = new RuntimeException("outer", new UnsatisfiedLinkError("/tmp/x/libjnicudart.so:\n libcuda.so.1:"
                + " cannot open shared object file"));
        assertEquals("libjnicudart.so: libcuda.so.1: cannot open shared object file", CudaProbe.rootMessage(t));
    }
}
