package dev.finetune4j.cuda;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.device.DeviceSpec;
import dev.finetune4j.device.Precision;
import java.util.function.Supplier;

/**
 * The decision of {@link CudaDeviceSupport}, separate from doing it: which backend to start for a requested
 * device and precision, given what is on the classpath and what the CUDA probe found. Pure, so every case is
 * unit-tested without a GPU.
 *
 * @param target the device to start: {@code cpu} or {@code cuda:0}
 * @param reason why, for the log (what {@code auto} found)
 */
record DevicePlan(DeviceSpec target, String reason) {

    /**
     * @param cpuBackendPresent whether nd4j-native's backend class is on the classpath
     * @param cuda              the probe, called only when CUDA is asked for or {@code auto} needs to know
     * @throws FineTuneException with one line when the request cannot be met
     */
    static DevicePlan choose(DeviceSpec asked, Precision precision, boolean cpuBackendPresent,
            Supplier<CudaStatus> cuda) {
        switch (asked.kind()) {
            case CPU:
                return cpu(asked, precision, cpuBackendPresent, "asked for");
            case CUDA: {
                CudaStatus status = cuda.get();
                if (!status.usable()) {
                    throw new FineTuneException(status.problem(asked));
                }
                if (asked.index() >= status.deviceCount()) {
                    throw new FineTuneException("device " + asked + ": only " + status.deviceCount()
                            + (status.deviceCount() == 1 ? " GPU is" : " GPUs are") + " visible (cuda:0"
                            + (status.deviceCount() > 1 ? " to cuda:" + (status.deviceCount() - 1) : "") + ")");
                }
                if (asked.index() > 0) {
                    throw new FineTuneException("device " + asked + ": ND4J 1.0.0-M2.1 starts on the first visible"
                            + " GPU; run with CUDA_VISIBLE_DEVICES=" + asked.index() + " and device cuda instead");
                }
                checkPrecisionOnGpu(asked, precision, status);
                return new DevicePlan(DeviceSpec.cuda(0), "asked for; " + status.summary());
            }
            case AUTO:
            default: {
                CudaStatus status = cuda.get();
                if (status.usable()) {
                    checkPrecisionOnGpu(asked, precision, status);
                    return new DevicePlan(DeviceSpec.cuda(0), "auto: CUDA " + status.summary());
                }
                if (!cpuBackendPresent) {
                    throw new FineTuneException("device auto: no usable ND4J backend: the CPU backend"
                            + " (org.nd4j:nd4j-native) is not on the classpath and CUDA is not usable: "
                            + status.summary());
                }
                return cpu(asked, precision, true, "auto: CUDA " + status.summary());
            }
        }
    }

    private static DevicePlan cpu(DeviceSpec asked, Precision precision, boolean cpuBackendPresent, String reason) {
        if (!cpuBackendPresent) {
            throw new FineTuneException("device " + asked + ": the ND4J CPU backend is not on the classpath; add"
                    + " org.nd4j:nd4j-native:1.0.0-M2.1 with its linux-x86_64 (and linux-x86_64-avx2) natives");
        }
        precision.requireCpuSupport();
        return new DevicePlan(DeviceSpec.CPU, reason);
    }

    /** FP16 matmul reaches cuBLAS in libnd4j only from compute capability 6.0 (its {@code major >= 6} test). */
    private static void checkPrecisionOnGpu(DeviceSpec asked, Precision precision, CudaStatus status) {
        if (precision == Precision.FP16 && status.ccMajor() < 6) {
            throw new FineTuneException("device " + asked + ": precision fp16 needs compute capability 6.0 or newer"
                    + " for cuBLAS half matmul, GPU 0 has " + status.computeCapability() + "; use fp32");
        }
    }
}
