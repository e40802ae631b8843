package dev.finetune4j.cuda;

import java.util.List;

/**
 * What the ND4J CUDA backend this project is built with needs, in one place: the artifacts to add, and the GPU
 * architectures its natives can run on. The texts are what users read in one-line errors.
 */
public final class CudaRequirements {

    /** The backend and its natives (the natives jar is ~600 MB). */
    public static final String BACKEND = "org.nd4j:nd4j-cuda-11.6:1.0.0-M2.1";
    /** JavaCPP's CUDA 11.6 bindings the backend calls; the {@code -redist} classifier also carries the runtime. */
    public static final String JAVACPP_CUDA = "org.bytedeco:cuda:11.6-8.3-1.5.7";

    static final String ADD_BACKEND = "add " + BACKEND + " with its linux-x86_64 natives (build with -Pcuda)";
    static final String ADD_RUNTIME = "install the CUDA 11.6 runtime (libcudart.so.11.0, cuBLAS, cuSOLVER) or add "
            + JAVACPP_CUDA + ":linux-x86_64-redist (build with -Pcuda,cuda-redist)";

    /**
     * The GPU architectures the natives of nd4j-cuda-11.6 1.0.0-M2.1 hold code for, as {@code major * 10 + minor}.
     * Read from the {@code .nv_fatbin} section of its {@code libnd4jcuda.so} with
     * {@code finetune-cuda/tools/fatbin_targets.py}: 228 fat binaries, each with cubins for exactly these
     * architectures and no PTX, so nothing can be compiled just in time for a newer GPU.
     */
    public static final List<Integer> NATIVE_TARGETS = List.of(37, 50, 52, 60, 61, 70, 75, 80, 86);

    private CudaRequirements() {
    }

    /**
     * Whether the natives can run on a GPU of compute capability {@code major.minor}: a cubin built for
     * {@code X.y} runs on {@code X.z} with {@code z >= y} (same major version) and on nothing else. So 8.9 (Ada)
     * runs the 8.6 code, while 9.0 (Hopper: H100, H200) and newer, and 3.0/3.5 (Kepler before 3.7), cannot.
     */
    public static boolean runsOn(int major, int minor) {
        return NATIVE_TARGETS.stream().anyMatch(t -> t / 10 == major && t % 10 <= minor);
    }
}
