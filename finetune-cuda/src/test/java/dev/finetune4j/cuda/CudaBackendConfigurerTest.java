package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.jita.conf.Configuration;

/** The CUDA allocator configuration is plain Java in ND4J 1.0.0-M2.1: it is checked here without natives. */
class CudaBackendConfigurerTest {

    @Test
    void setsSingleGpuAndTheCachesThatAreSet() {
        Configuration c = new Configuration();
        CudaBackendConfigurer.apply(GpuSettings.parse(Map.of("device_cache", "2g", "host_cache", "256m")), c);
        assertTrue(c.isForcedSingleGPU());
        assertEquals(2L << 30, c.getMaximumDeviceCache());
        assertEquals(256L << 20, c.getMaximumHostCache());
    }

    @Test
    void unsetKeepsNd4jDefaults() {
        Configuration defaults = new Configuration();
        Configuration c = new Configuration();
        CudaBackendConfigurer.apply(GpuSettings.DEFAULTS, c);
        assertEquals(defaults.getMaximumDeviceCache(), c.getMaximumDeviceCache());
        assertEquals(defaults.getMaximumHostCache(), c.getMaximumHostCache());
        assertEquals(512L << 20, c.getMaximumDeviceCache(), "1.0.0-M2.1 default, as documented in GpuSettings");
        assertEquals(1L << 30, c.getMaximumHostCache(), "1.0.0-M2.1 default, as documented in GpuSettings");
    }
}
