package dev.finetune4j.cuda;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.device.ActiveDevice;
import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.DeviceSupport;
import dev.finetune4j.device.Precision;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.nd4j.common.config.ND4JClassLoading;
import org.nd4j.linalg.api.memory.MemoryManager;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses and starts ND4J's backend for a {@link DeviceSpec}; what {@link dev.finetune4j.device.Devices#activate}
 * finds through {@link java.util.ServiceLoader} when finetune-cuda is on the classpath.
 *
 * <p>ND4J picks its backend once per process, in {@code Nd4j}'s static initialiser ({@code Nd4jBackend.load()}:
 * the {@code Nd4jBackend} providers registered in {@code META-INF/services}, highest priority first, the first
 * whose {@code isAvailable()} holds). So this must run before anything touches {@code Nd4j}, and it:
 * <ol>
 *   <li>sets JavaCPP's memory limits ({@link GpuSettings}) as system properties (before the probe, which
 *       loads JavaCPP: it reads them once);</li>
 *   <li>decides ({@link DevicePlan}): CPU as asked; CUDA only if {@link CudaProbe} finds the backend, its
 *       natives, the driver and runtime, and a GPU the natives can run on (else one line saying what to add);
 *       {@code auto} = CUDA when all of that holds, else the CPU;</li>
 *   <li>installs {@link BackendServiceFilter} as ND4J's class loader, hiding the other backend's registration, so
 *       a CPU run never instantiates the CUDA backend and a CUDA run never silently falls back to the CPU;</li>
 *   <li>for CUDA, sets the allocator configuration ({@link CudaBackendConfigurer}), then starts ND4J and checks
 *       that the expected backend runs.</li>
 * </ol>
 * A second call returns the same device, or fails if it asks for another one: one device per process.
 */
public final class CudaDeviceSupport implements DeviceSupport {
    private static final Logger log = LoggerFactory.getLogger(CudaDeviceSupport.class);

    private static ActiveDevice active;
    private static GpuSettings activeSettings;

    @Override
    public ActiveDevice activate(DeviceSpec device, Precision precision, Map<String, String> settings) {
        return start(device, precision, GpuSettings.resolve(System.getProperties(), settings));
    }

    /** {@link #activate} with settings as a record (system properties are not read). */
    public static synchronized ActiveDevice start(DeviceSpec device, Precision precision, GpuSettings settings) {
        if (active != null) {
            return again(device, precision, settings);
        }
        // first: JavaCPP reads its limits once, when its Pointer class initialises, and the CUDA probe loads it
        settings.javacppSystemProperties().forEach((k, v) -> {
            String before = System.setProperty(k, v);
            if (before != null && !before.equals(v)) {
                log.info("{}={} replaces {}", k, v, before);
            }
        });
        ClassLoader loader = baseClassLoader();
        DevicePlan plan = DevicePlan.choose(device, precision,
                CudaProbe.classPresent(CudaProbe.CPU_BACKEND_CLASS, loader), () -> CudaProbe.probe(loader));
        boolean cuda = plan.target().isCuda();
        log.info("device {} -> {} ({})", device, plan.target(), plan.reason());

        String hidden = cuda ? CudaProbe.CPU_BACKEND_CLASS : CudaProbe.BACKEND_CLASS;
        BackendServiceFilter.locationOf(hidden, loader).ifPresent(location ->
                ND4JClassLoading.setNd4jClassloader(new BackendServiceFilter(loader, location)));
        if (cuda) {
            CudaBackendConfigurer.beforeStart(settings);
        }

        String expected = cuda ? CudaProbe.BACKEND_CLASS : CudaProbe.CPU_BACKEND_CLASS;
        String started;
        try {
            started = Nd4j.getBackend().getClass().getName();
        } catch (RuntimeException | LinkageError e) {
            throw new FineTuneException("device " + device + ": ND4J's " + simpleName(expected) + " failed to start: "
                    + CudaProbe.rootMessage(e), e);
        }
        if (!started.equals(expected)) {
            throw new FineTuneException("device " + device + ": ND4J had already started on " + simpleName(started)
                    + " before the device was chosen; choose the device before anything creates an INDArray");
        }
        settings.periodicGcMillis().ifPresent(ms -> {
            MemoryManager mm = Nd4j.getMemoryManager();
            if (ms > 0) {
                mm.setAutoGcWindow(ms);
            }
            mm.togglePeriodicGc(ms > 0);
        });
        active = cuda ? describeGpu(plan.target(), precision) : ActiveDevice.cpu(simpleName(started), precision);
        activeSettings = settings;
        if (cuda && precision == Precision.BF16) {
            log.warn("precision bf16: ND4J 1.0.0-M2.1 has no cuBLAS path for bfloat16 matmul (a generic kernel);"
                    + " expect it slower than fp32, prefer fp16");
        }
        return active;
    }

    /** The device started by this process, if any. */
    public static synchronized java.util.Optional<ActiveDevice> active() {
        return java.util.Optional.ofNullable(active);
    }

    /**
     * What CUDA looks like here, for reports: with {@code deep} the full {@link CudaProbe#probe} (loads the CUDA
     * runtime bindings, never ND4J's CUDA backend), else only what is on the classpath.
     */
    public static CudaStatus cudaStatus(boolean deep) {
        ClassLoader loader = baseClassLoader();
        return deep ? CudaProbe.probe(loader) : CudaProbe.checkClasspath(loader);
    }

    private static ActiveDevice again(DeviceSpec device, Precision precision, GpuSettings settings) {
        boolean same = switch (device.kind()) {
            case AUTO -> true;
            case CPU -> !active.isCuda();
            case CUDA -> active.isCuda() && device.index() == active.device().index();
        };
        if (!same) {
            if (device.isCuda()) { // say first what is missing, if anything: that is what the user must fix
                DevicePlan.choose(device, precision, true, () -> CudaProbe.probe(baseClassLoader()));
            }
            throw new FineTuneException("device " + device + ": this process already runs ND4J on " + active.device()
                    + "; the device can be chosen once per process");
        }
        if (precision != active.precision() || !settings.equals(activeSettings)) {
            DevicePlan.choose(active.device(), precision, true, () -> CudaProbe.probe(baseClassLoader()));
            if (!settings.equals(activeSettings)) {
                throw new FineTuneException("device settings " + settings.asMap() + ": this process already runs"
                        + " with " + activeSettings.asMap() + "; they apply when ND4J starts, once per process");
            }
            ActiveDevice a = active;
            return new ActiveDevice(a.device(), a.backend(), a.name(), a.computeCapability(), a.totalMemoryBytes(),
                    a.freeMemoryBytes(), precision);
        }
        return active;
    }

    /** GPU name, compute capability and memory from ND4J's environment information (backend-neutral API). */
    private static ActiveDevice describeGpu(DeviceSpec device, Precision precision) {
        Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
        String name = "unknown GPU";
        String cc = "";
        long total = -1;
        long free = -1;
        if (env.get("cuda.devicesInformation") instanceof List<?> devices && devices.size() > device.index()
                && devices.get(device.index()) instanceof Map<?, ?> info) {
            name = String.valueOf(info.get("cuda.deviceName"));
            if (info.get("cuda.deviceMajor") instanceof Number major && info.get("cuda.deviceMinor") instanceof Number minor) {
                cc = major.intValue() + "." + minor.intValue();
            }
            total = info.get("cuda.totalMemory") instanceof Number n ? n.longValue() : -1;
            free = info.get("cuda.freeMemory") instanceof Number n ? n.longValue() : -1;
        }
        return new ActiveDevice(device, simpleName(CudaProbe.BACKEND_CLASS), name, cc, total, free, precision);
    }

    /** The class loader ND4J loads through, without a filter this class installed. */
    static ClassLoader baseClassLoader() {
        ClassLoader l = ND4JClassLoading.getNd4jClassloader();
        while (l instanceof BackendServiceFilter f) {
            l = f.getParent();
        }
        return l != null ? l : CudaDeviceSupport.class.getClassLoader();
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }
}
