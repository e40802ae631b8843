package dev.finetune4j.cuda;

import dev.finetune4j.device.DeviceSpec;
import java.util.Objects;

/**
 * What {@link CudaProbe} found out about CUDA in this JVM, without starting ND4J.
 *
 * @param state       how far the checks got
 * @param deviceCount visible GPUs (0 unless the runtime could be asked)
 * @param ccMajor     compute capability of GPU 0, major part (0 if unknown)
 * @param ccMinor     compute capability of GPU 0, minor part
 * @param detail      what the failing check reported (an error text), or empty
 */
public record CudaStatus(State state, int deviceCount, int ccMajor, int ccMinor, String detail) {

    /** The checks in the order they run; the first that fails is the state. */
    public enum State {
        /** The CUDA backend's classes ({@code JCublasBackend}) are not on the classpath. */
        NO_BACKEND,
        /** The classes are there, its natives jar for this platform is not. */
        NO_NATIVES,
        /** JavaCPP's CUDA bindings ({@code org.bytedeco:cuda} and its platform jar) are missing. */
        NO_CUDA_BINDINGS,
        /** No NVIDIA driver ({@code libcuda.so.1} missing, or too old for CUDA 11.6). */
        NO_DRIVER,
        /** The CUDA 11.6 runtime libraries could not be loaded. */
        NO_RUNTIME,
        /** Backend, natives and bindings are on the classpath; the runtime was not asked (a CPU run). */
        ON_CLASSPATH,
        /** The runtime works, but no GPU is visible. */
        NO_DEVICE,
        /** GPU 0's architecture is not among those the natives were built for. */
        UNSUPPORTED_GPU,
        /** Everything is there: the CUDA backend can start. */
        READY
    }

    public CudaStatus {
        Objects.requireNonNull(state, "state");
        detail = detail == null ? "" : detail;
    }

    static CudaStatus of(State state, String detail) {
        return new CudaStatus(state, 0, 0, 0, detail);
    }

    public boolean usable() {
        return state == State.READY;
    }

    /** Compute capability of GPU 0 as text, e.g. {@code 8.6}; empty if unknown. */
    public String computeCapability() {
        return ccMajor == 0 ? "" : ccMajor + "." + ccMinor;
    }

    /** One line for a user who asked for {@code device}, saying what is missing and what to add or do. */
    public String problem(DeviceSpec device) {
        String d = "device " + device + ": ";
        String why = detail.isEmpty() ? "" : " (" + detail + ")";
        return switch (state) {
            case NO_BACKEND -> d + "the ND4J CUDA backend is not on the classpath; " + CudaRequirements.ADD_BACKEND
                    + ", and " + CudaRequirements.ADD_RUNTIME;
            case NO_NATIVES -> d + "the natives of the ND4J CUDA backend for " + detail + " are missing; add "
                    + CudaRequirements.BACKEND + ":" + detail + " (build with -Pcuda)";
            case NO_CUDA_BINDINGS -> d + "JavaCPP's CUDA bindings are missing; add " + CudaRequirements.JAVACPP_CUDA
                    + " and its linux-x86_64 classifier (build with -Pcuda)";
            case NO_DRIVER -> d + "no usable NVIDIA driver" + why + "; install an NVIDIA driver for CUDA 11"
                    + " (450.80.02 or newer) on a machine with an NVIDIA GPU";
            case NO_RUNTIME -> d + "the CUDA 11.6 runtime could not be loaded" + why + "; "
                    + CudaRequirements.ADD_RUNTIME;
            case NO_DEVICE -> d + "no CUDA GPU is visible" + why + "; check nvidia-smi and CUDA_VISIBLE_DEVICES";
            case UNSUPPORTED_GPU -> d + "GPU 0 has compute capability " + computeCapability() + ", but the ND4J"
                    + " 1.0.0-M2.1 CUDA natives hold code only for 3.7 to 8.6 (no PTX), so they cannot run on it"
                    + " (Hopper H100/H200 and newer are not supported); use an older GPU or device cpu";
            case ON_CLASSPATH -> d + "the CUDA runtime was not probed";
            case READY -> d + "ready";
        };
    }

    /** A short description for {@code finetune env}. */
    public String summary() {
        return switch (state) {
            case NO_BACKEND -> "not on the classpath (build with -Pcuda, or add " + CudaRequirements.BACKEND + ")";
            case NO_NATIVES -> "backend classes present, natives for " + detail + " missing";
            case NO_CUDA_BINDINGS -> "backend present, JavaCPP CUDA bindings missing";
            case NO_DRIVER -> "backend present, no usable NVIDIA driver" + (detail.isEmpty() ? "" : " (" + detail + ")");
            case NO_RUNTIME -> "backend present, CUDA 11.6 runtime not loadable"
                    + (detail.isEmpty() ? "" : " (" + detail + ")");
            case NO_DEVICE -> "backend present, no GPU visible";
            case UNSUPPORTED_GPU -> "GPU 0 (compute capability " + computeCapability() + ") not supported by the natives";
            case ON_CLASSPATH -> "backend and natives on the classpath (runtime not probed)";
            case READY -> "ready: " + deviceCount + (deviceCount == 1 ? " GPU" : " GPUs")
                    + ", GPU 0 compute capability " + computeCapability();
        };
    }
}
