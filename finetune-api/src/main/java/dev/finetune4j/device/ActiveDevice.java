package dev.finetune4j.device;

import java.lang.management.ManagementFactory;
import java.util.Objects;

/**
 * The device ND4J runs on after {@link Devices#activate}: what a trainer logs, {@code finetune env} prints and
 * {@code train_results.json} records.
 *
 * @param device            the resolved device ({@code cpu} or {@code cuda:N}; never {@code auto})
 * @param backend           the ND4J backend class, e.g. {@code CpuBackend}, {@code JCublasBackend}
 * @param name              the GPU's name, or a description of the CPU
 * @param computeCapability the GPU's compute capability such as {@code 8.6}; empty on the CPU
 * @param totalMemoryBytes  device memory (host memory on the CPU); -1 if unknown
 * @param freeMemoryBytes   free device memory at activation (free host memory on the CPU); -1 if unknown
 * @param precision         the compute precision that was checked against this device
 */
public record ActiveDevice(DeviceSpec device, String backend, String name, String computeCapability,
        long totalMemoryBytes, long freeMemoryBytes, Precision precision) {

    public ActiveDevice {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(computeCapability, "computeCapability");
        Objects.requireNonNull(precision, "precision");
        if (device.kind() == DeviceSpec.Kind.AUTO) {
            throw new IllegalArgumentException("an active device is resolved: cpu or cuda:N, not auto");
        }
    }

    /** The CPU as a device: host memory from the operating system. */
    public static ActiveDevice cpu(String backend, Precision precision) {
        long total = -1;
        long free = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            total = os.getTotalMemorySize();
            free = os.getFreeMemorySize();
        }
        String name = System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores";
        return new ActiveDevice(DeviceSpec.CPU, backend, name, "", total, free, precision);
    }

    public boolean isCuda() {
        return device.isCuda();
    }
}
