package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class GpuSettingsTest {

    @Test
    void parsesSizesWithBinarySuffixes() {
        assertEquals(1024L, GpuSettings.parseSize("1024"));
        assertEquals(512L << 20, GpuSettings.parseSize("512m"));
        assertEquals(512L << 20, GpuSettings.parseSize("512MB"));
        assertEquals(8L << 30, GpuSettings.parseSize("8G"));
        assertEquals(3L << 29, GpuSettings.parseSize("1.5GiB"));
        assertEquals(2L << 40, GpuSettings.parseSize(" 2t "));
        assertEquals(4096L, GpuSettings.parseSize("4k"));
        assertEquals(1_000_000L, GpuSettings.parseSize("1_000_000"));
        for (String bad : new String[] {"", "g", "-1g", "1.5", "1e9", "12 apples", "0.1k"}) {
            assertThrows(NumberFormatException.class, () -> GpuSettings.parseSize(bad), bad);
        }
    }

    @Test
    void parsesEveryKey() {
        GpuSettings s = GpuSettings.parse(Map.of("host_memory_limit", "6g", "host_physical_memory_limit", "8g",
                "device_cache", "2g", "host_cache", "256m", "periodic_gc_ms", "500"));
        assertEquals(OptionalLong.of(6L << 30), s.hostMemoryLimit());
        assertEquals(OptionalLong.of(8L << 30), s.hostPhysicalMemoryLimit());
        assertEquals(OptionalLong.of(2L << 30), s.deviceCache());
        assertEquals(OptionalLong.of(256L << 20), s.hostCache());
        assertEquals(OptionalInt.of(500), s.periodicGcMillis());
        assertEquals(s, GpuSettings.parse(s.asMap()));
    }

    @Test
    void nothingSetMeansNd4jDefaultsAndNoSystemProperties() {
        GpuSettings s = GpuSettings.parse(Map.of());
        assertEquals(GpuSettings.DEFAULTS, s);
        assertTrue(s.javacppSystemProperties().isEmpty());
        assertTrue(s.asMap().isEmpty());
    }

    @Test
    void hostLimitsBecomeJavacppSystemPropertiesInBytes() {
        GpuSettings s = GpuSettings.parse(Map.of("host_memory_limit", "6g", "host_physical_memory_limit", "8g",
                "device_cache", "1g"));
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("org.bytedeco.javacpp.maxbytes", "6442450944");
        expected.put("org.bytedeco.javacpp.maxphysicalbytes", "8589934592");
        assertEquals(expected, s.javacppSystemProperties());
    }

    @Test
    void systemPropertiesAreReadAndExplicitSettingsWin() {
        Properties p = new Properties();
        p.setProperty("finetune4j.gpu.device_cache", "1g");
        p.setProperty("finetune4j.gpu.host_cache", "64m");
        p.setProperty("unrelated.property", "x");
        assertEquals(Map.of("device_cache", "1g", "host_cache", "64m"), GpuSettings.fromSystemProperties(p));
        GpuSettings s = GpuSettings.resolve(p, Map.of("device_cache", "3g"));
        assertEquals(OptionalLong.of(3L << 30), s.deviceCache());
        assertEquals(OptionalLong.of(64L << 20), s.hostCache());
    }

    @Test
    void badInputNamesTheKeyAndTheValue() {
        assertMessage("device setting device_cache='lots': expected a size such as 512m, 8g or a number of bytes",
                Map.of("device_cache", "lots"));
        assertMessage("device setting periodic_gc_ms='soon': expected milliseconds (0 = off)",
                Map.of("periodic_gc_ms", "soon"));
        assertMessage("device setting periodic_gc_ms: must be >= 0 (0 = off), got -5", Map.of("periodic_gc_ms", "-5"));
        assertMessage("device setting host_cache: must be > 0 bytes, got 0", Map.of("host_cache", "0"));
        assertMessage("device setting 'device_memory': unknown; known are host_memory_limit, host_physical_memory_limit,"
                + " device_cache, host_cache, periodic_gc_ms", Map.of("device_memory", "8g"));
        assertMessage("device settings: host_physical_memory_limit (1073741824 bytes) must be at least"
                + " host_memory_limit (2147483648 bytes)", Map.of("host_memory_limit", "2g", "host_physical_memory_limit", "1g"));
        Properties p = new Properties();
        p.setProperty("finetune4j.gpu.devcie_cache", "1g");
        FineTuneException e = assertThrows(FineTuneException.class, () -> GpuSettings.resolve(p, Map.of()));
        assertTrue(e.getMessage().startsWith("device setting 'devcie_cache': unknown"), e.getMessage());
    }

    private static void assertMessage(String expected, Map<String, String> settings) {
        FineTuneException e = assertThrows(FineTuneException.class, () -> GpuSettings.parse(settings));
        assertEquals(expected, e.getMessage());
    }
}
