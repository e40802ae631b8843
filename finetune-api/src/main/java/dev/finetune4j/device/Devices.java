package dev.finetune4j.device;

import dev.finetune4j.FineTuneException;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where a trainer, the YAML reader and the command line make a {@link DeviceSpec} real: call {@link #activate}
 * once, before any {@code INDArray} is created. It delegates to the {@link DeviceSupport} on the classpath
 * ({@code finetune-cuda}); without one, only the CPU is possible and asking for CUDA fails with one line
 * saying what to add.
 */
public final class Devices {

    /** What to add for CUDA when finetune-cuda itself is missing. */
    static final String NO_CUDA_MODULE = "device %s: finetune-cuda is not on the classpath; add the dependency"
            + " dev.finetune4j:finetune-cuda with the ND4J CUDA backend (org.nd4j:nd4j-cuda-11.6 and its"
            + " linux-x86_64 natives, or build with -Pcuda) and the CUDA 11.6 runtime";

    private Devices() {
    }

    /** {@link #activate(DeviceSpec, Precision, Map)} in FP32 with the default settings. */
    public static ActiveDevice activate(DeviceSpec device) {
        return activate(device, Precision.FP32, Map.of());
    }

    /**
     * Binds ND4J to {@code device} (see {@link DeviceSupport#activate}).
     *
     * @throws FineTuneException when the device, the precision or a setting cannot be used, in one line
     */
    public static synchronized ActiveDevice activate(DeviceSpec device, Precision precision, Map<String, String> settings) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(settings, "settings");
        return support().activate(device, precision, settings);
    }

    /** The installed {@link DeviceSupport}, or the CPU-only fallback. */
    static DeviceSupport support() {
        for (DeviceSupport s : ServiceLoader.load(DeviceSupport.class, Devices.class.getClassLoader())) {
            return s;
        }
        return new CpuOnly();
    }

    /** Without finetune-cuda: the CPU, as ND4J starts it. */
    static final class CpuOnly implements DeviceSupport {
        @Override
        public ActiveDevice activate(DeviceSpec device, Precision precision, Map<String, String> settings) {
            if (device.isCuda()) {
                throw new FineTuneException(String.format(NO_CUDA_MODULE, device));
            }
            if (!settings.isEmpty()) {
                throw new FineTuneException("device settings " + settings.keySet() + " are read by finetune-cuda,"
                        + " which is not on the classpath");
            }
            precision.requireCpuSupport();
            String backend = Nd4j.getBackend().getClass().getSimpleName();
            if (!backend.equals("CpuBackend")) {
                throw new FineTuneException("device " + device + ": ND4J started its " + backend + " backend, which"
                        + " only finetune-cuda can choose and describe; add dev.finetune4j:finetune-cuda");
            }
            return ActiveDevice.cpu(backend, precision);
        }
    }
}
