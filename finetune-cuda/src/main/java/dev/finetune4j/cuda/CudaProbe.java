package dev.finetune4j.cuda;

import dev.finetune4j.cuda.CudaStatus.State;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out whether the ND4J CUDA backend can run here <em>without starting ND4J</em>: first by class and
 * resource presence, then (only when all of it is present) by asking the CUDA runtime through JavaCPP's
 * {@code cudart} bindings how many GPUs are visible and what GPU 0 is. The same call
 * ({@code cudaGetDeviceCount}) is what {@code JCublasBackend.canRun()} does, but that method prints stack traces
 * when it fails; this probe reports one {@link CudaStatus} instead. Nothing here loads {@code libnd4jcuda}.
 */
public final class CudaProbe {
    private static final Logger log = LoggerFactory.getLogger(CudaProbe.class);

    /** The ND4J CUDA backend, in nd4j-cuda-11.6's Java jar (registered for ServiceLoader there). */
    public static final String BACKEND_CLASS = "org.nd4j.linalg.jcublas.JCublasBackend";
    /** The ND4J CPU backend, in nd4j-native. */
    public static final String CPU_BACKEND_CLASS = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";
    static final String CUDART_CLASS = "org.bytedeco.cuda.global.cudart";

    private static final int CUDA_SUCCESS = 0;
    private static final int CUDA_ERROR_INSUFFICIENT_DRIVER = 35;
    private static final int CUDA_ERROR_NO_DEVICE = 100;
    private static final int ATTR_CC_MAJOR = 75; // cudaDevAttrComputeCapabilityMajor
    private static final int ATTR_CC_MINOR = 76; // cudaDevAttrComputeCapabilityMinor

    /** Runtime results per class loader: a failed JavaCPP load cannot be retried in the same JVM anyway. */
    private static final Map<ClassLoader, CudaStatus> RUNTIME_RESULTS = new WeakHashMap<>();

    private CudaProbe() {
    }

    /** Whether {@code className} is visible to {@code loader}, without initialising it. */
    public static boolean classPresent(String className, ClassLoader loader) {
        try {
            Class.forName(className, false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * Presence checks only (classes and native jars): cheap, loads no native library. The best it reports is
     * {@link State#ON_CLASSPATH}, never {@link State#READY}.
     */
    public static CudaStatus checkClasspath(ClassLoader loader) {
        if (!classPresent(BACKEND_CLASS, loader)) {
            return CudaStatus.of(State.NO_BACKEND, "");
        }
        String platform = platform();
        if (loader.getResource(nativePath("org/nd4j/linalg/jcublas/bindings/", platform, "jnind4jcuda")) == null) {
            return CudaStatus.of(State.NO_NATIVES, platform);
        }
        if (loader.getResource(CUDART_CLASS.replace('.', '/') + ".class") == null
                || loader.getResource(nativePath("org/bytedeco/cuda/", platform, "jnicudart")) == null) {
            return CudaStatus.of(State.NO_CUDA_BINDINGS, platform);
        }
        return CudaStatus.of(State.ON_CLASSPATH, "");
    }

    /**
     * The full probe: {@link #checkClasspath}, then the CUDA runtime (loads JavaCPP's {@code cudart} bindings,
     * which need the NVIDIA driver and {@code libcudart.so.11.0}) and GPU 0's architecture.
     */
    public static CudaStatus probe(ClassLoader loader) {
        CudaStatus classpath = checkClasspath(loader);
        if (classpath.state() != State.ON_CLASSPATH) {
            return classpath;
        }
        synchronized (RUNTIME_RESULTS) {
            return RUNTIME_RESULTS.computeIfAbsent(loader, CudaProbe::askRuntime);
        }
    }

    private static CudaStatus askRuntime(ClassLoader loader) {
        Class<?> cudart;
        Method getDeviceCount;
        Method getAttribute;
        try {
            cudart = Class.forName(CUDART_CLASS, true, loader); // runs Loader.load(): the native libraries
            getDeviceCount = cudart.getMethod("cudaGetDeviceCount", int[].class);
            getAttribute = cudart.getMethod("cudaDeviceGetAttribute", int[].class, int.class, int.class);
        } catch (Throwable t) {
            String msg = rootMessage(t);
            log.debug("CUDA runtime could not be loaded", t);
            return CudaStatus.of(msg.contains("libcuda.so") ? State.NO_DRIVER : State.NO_RUNTIME, msg);
        }
        try {
            int[] count = {0};
            int rc = (Integer) getDeviceCount.invoke(null, (Object) count);
            if (rc == CUDA_ERROR_INSUFFICIENT_DRIVER) {
                return CudaStatus.of(State.NO_DRIVER, "cudaErrorInsufficientDriver");
            }
            if (rc == CUDA_ERROR_NO_DEVICE || (rc == CUDA_SUCCESS && count[0] <= 0)) {
                return CudaStatus.of(State.NO_DEVICE, "cudaGetDeviceCount found none");
            }
            if (rc != CUDA_SUCCESS) {
                return CudaStatus.of(State.NO_DEVICE, "cudaGetDeviceCount returned CUDA error " + rc);
            }
            int[] major = {0};
            int[] minor = {0};
            int rcMajor = (Integer) getAttribute.invoke(null, major, ATTR_CC_MAJOR, 0);
            int rcMinor = (Integer) getAttribute.invoke(null, minor, ATTR_CC_MINOR, 0);
            if (rcMajor != CUDA_SUCCESS || rcMinor != CUDA_SUCCESS) {
                return CudaStatus.of(State.NO_DEVICE, "cudaDeviceGetAttribute returned CUDA error "
                        + (rcMajor != CUDA_SUCCESS ? rcMajor : rcMinor));
            }
            State state = CudaRequirements.runsOn(major[0], minor[0]) ? State.READY : State.UNSUPPORTED_GPU;
            return new CudaStatus(state, count[0], major[0], minor[0], "");
        } catch (InvocationTargetException | IllegalAccessException | RuntimeException | LinkageError e) {
            log.debug("asking the CUDA runtime failed", e);
            return CudaStatus.of(State.NO_RUNTIME, rootMessage(e));
        }
    }

    /** JavaCPP's platform name for this JVM ({@code linux-x86_64}, ...), as its jars' classifiers spell it. */
    static String platform() {
        String override = System.getProperty("org.bytedeco.javacpp.platform");
        if (override != null && !override.isBlank()) {
            return override.strip();
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName = os.startsWith("windows") ? "windows" : os.startsWith("mac") ? "macosx" : os.replaceAll("\\W", "");
        String archName = switch (arch) {
            case "amd64", "x86-64", "x86_64" -> "x86_64";
            case "aarch64", "armv8", "arm64" -> "arm64";
            case "i386", "i486", "i586", "i686" -> "x86";
            default -> arch;
        };
        return osName + "-" + archName;
    }

    private static String nativePath(String folder, String platform, String library) {
        return folder + platform + "/" + System.mapLibraryName(library);
    }

    /** The innermost message, on one line and short: what a person needs from a native loading failure. */
    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        m = m.replaceAll("\\s+", " ").replaceAll("(?:/[^\\s:/]+)+/(lib[^\\s:/]+)", "$1").strip();
        return m.length() > 240 ? m.substring(0, 237) + "..." : m;
    }
}
