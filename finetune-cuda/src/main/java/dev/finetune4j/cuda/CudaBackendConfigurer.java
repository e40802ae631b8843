package dev.finetune4j.cuda;

import org.nd4j.jita.conf.Configuration;
import org.nd4j.jita.conf.CudaEnvironment;

/**
 * The only class that touches the CUDA backend's own API ({@code org.nd4j.jita.conf}), so that nothing else
 * needs nd4j-cuda's classes to load. {@code CudaEnvironment.getInstance().getConfiguration()} is plain Java in
 * 1.0.0-M2.1 (it reads the {@code ND4J_CUDA_*} environment variables, nothing native), and the allocator reads
 * it when the backend starts: so it is set here, before.
 */
final class CudaBackendConfigurer {

    private CudaBackendConfigurer() {
    }

    /** Applies {@code settings} to the configuration the CUDA backend will start with. */
    static void beforeStart(GpuSettings settings) {
        apply(settings, CudaEnvironment.getInstance().getConfiguration());
    }

    /**
     * One device per process: every ND4J thread maps to the first visible GPU (ND4J's default would spread
     * threads over all GPUs), and the cache sizes that are set.
     */
    static void apply(GpuSettings settings, Configuration configuration) {
        configuration.allowMultiGPU(false);
        settings.deviceCache().ifPresent(configuration::setMaximumDeviceCache);
        settings.hostCache().ifPresent(configuration::setMaximumHostCache);
    }
}
