package dev.finetune4j.cuda;

import dev.finetune4j.FineTuneException;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Memory settings for ND4J, applied by {@link CudaDeviceSupport} before the backend starts. Every value is
 * optional: unset means ND4J's default. Keys (also readable as system properties
 * {@code -Dfinetune4j.gpu.<key>=...}; sizes as {@code 512m}, {@code 8g}, {@code 1.5GiB} or bytes):
 * <ul>
 *   <li>{@code host_memory_limit}: off-heap host memory ND4J may hold (JavaCPP's
 *       {@code org.bytedeco.javacpp.maxbytes}; default = the JVM's {@code -Xmx}). CPU and CUDA.</li>
 *   <li>{@code host_physical_memory_limit}: the process's resident size at which JavaCPP refuses to allocate
 *       ({@code org.bytedeco.javacpp.maxphysicalbytes}; must be at least {@code host_memory_limit}). CPU and CUDA.</li>
 *   <li>{@code device_cache}: bytes of freed GPU buffers ND4J keeps for reuse
 *       ({@code Configuration.setMaximumDeviceCache}; 512 MiB by default in 1.0.0-M2.1). CUDA.</li>
 *   <li>{@code host_cache}: the same for pinned host buffers ({@code setMaximumHostCache}; 1 GiB). CUDA.</li>
 *   <li>{@code periodic_gc_ms}: ND4J frees off-heap and GPU memory when Java's GC collects arrays; a value
 *       above 0 makes ND4J call {@code System.gc()} at most every that many ms, 0 turns that off
 *       ({@code MemoryManager.setAutoGcWindow} / {@code togglePeriodicGc}). CPU and CUDA.</li>
 * </ul>
 * ND4J's allocator takes GPU memory with {@code cudaMalloc} as arrays need it; there is no hard per-process
 * cap in 1.0.0-M2.1 beyond the cache sizes above (the {@code SD_MAX_DEVICE_BYTES} environment variable of
 * libnd4j covers only what libnd4j allocates itself).
 */
public record GpuSettings(OptionalLong hostMemoryLimit, OptionalLong hostPhysicalMemoryLimit,
        OptionalLong deviceCache, OptionalLong hostCache, OptionalInt periodicGcMillis) {

    public static final String PROPERTY_PREFIX = "finetune4j.gpu.";
    public static final String HOST_MEMORY_LIMIT = "host_memory_limit";
    public static final String HOST_PHYSICAL_MEMORY_LIMIT = "host_physical_memory_limit";
    public static final String DEVICE_CACHE = "device_cache";
    public static final String HOST_CACHE = "host_cache";
    public static final String PERIODIC_GC_MS = "periodic_gc_ms";
    public static final List<String> KEYS =
            List.of(HOST_MEMORY_LIMIT, HOST_PHYSICAL_MEMORY_LIMIT, DEVICE_CACHE, HOST_CACHE, PERIODIC_GC_MS);

    /** JavaCPP's system properties, read once when its {@code Pointer} class initialises. */
    public static final String JAVACPP_MAX_BYTES = "org.bytedeco.javacpp.maxbytes";
    public static final String JAVACPP_MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxphysicalbytes";

    public static final GpuSettings DEFAULTS = new GpuSettings(OptionalLong.empty(), OptionalLong.empty(),
            OptionalLong.empty(), OptionalLong.empty(), OptionalInt.empty());

    public GpuSettings {
        positive(HOST_MEMORY_LIMIT, hostMemoryLimit);
        positive(HOST_PHYSICAL_MEMORY_LIMIT, hostPhysicalMemoryLimit);
        positive(DEVICE_CACHE, deviceCache);
        positive(HOST_CACHE, hostCache);
        if (periodicGcMillis.isPresent() && periodicGcMillis.getAsInt() < 0) {
            throw new FineTuneException("device setting " + PERIODIC_GC_MS + ": must be >= 0 (0 = off), got "
                    + periodicGcMillis.getAsInt());
        }
        if (hostMemoryLimit.isPresent() && hostPhysicalMemoryLimit.isPresent()
                && hostPhysicalMemoryLimit.getAsLong() < hostMemoryLimit.getAsLong()) {
            throw new FineTuneException("device settings: " + HOST_PHYSICAL_MEMORY_LIMIT + " ("
                    + hostPhysicalMemoryLimit.getAsLong() + " bytes) must be at least " + HOST_MEMORY_LIMIT + " ("
                    + hostMemoryLimit.getAsLong() + " bytes)");
        }
    }

    /**
     * Reads the keys above from {@code settings} (e.g. the device keys of a training YAML).
     *
     * @throws FineTuneException naming the key and the value for an unknown key or a bad value
     */
    public static GpuSettings parse(Map<String, String> settings) {
        for (String key : settings.keySet()) {
            if (!KEYS.contains(key)) {
                throw new FineTuneException("device setting '" + key + "': unknown; known are " + String.join(", ", KEYS));
            }
        }
        return new GpuSettings(size(settings, HOST_MEMORY_LIMIT), size(settings, HOST_PHYSICAL_MEMORY_LIMIT),
                size(settings, DEVICE_CACHE), size(settings, HOST_CACHE), millis(settings, PERIODIC_GC_MS));
    }

    /** The {@code finetune4j.gpu.*} system properties as settings keys (an unknown one is an error). */
    public static Map<String, String> fromSystemProperties(Properties properties) {
        Map<String, String> out = new TreeMap<>();
        for (String name : properties.stringPropertyNames()) {
            if (name.startsWith(PROPERTY_PREFIX)) {
                out.put(name.substring(PROPERTY_PREFIX.length()), properties.getProperty(name));
            }
        }
        return out;
    }

    /** The system properties overlaid with {@code explicit} (explicit wins), parsed. */
    public static GpuSettings resolve(Properties properties, Map<String, String> explicit) {
        Map<String, String> merged = new TreeMap<>(fromSystemProperties(properties));
        merged.putAll(explicit);
        return parse(merged);
    }

    /** The JavaCPP system properties these settings set (only those that are set), in bytes. */
    public Map<String, String> javacppSystemProperties() {
        Map<String, String> out = new LinkedHashMap<>();
        hostMemoryLimit.ifPresent(v -> out.put(JAVACPP_MAX_BYTES, Long.toString(v)));
        hostPhysicalMemoryLimit.ifPresent(v -> out.put(JAVACPP_MAX_PHYSICAL_BYTES, Long.toString(v)));
        return out;
    }

    /** The settings that are set, as keys and canonical values (bytes, ms); {@link #parse} reads it back. */
    public Map<String, String> asMap() {
        Map<String, String> out = new LinkedHashMap<>();
        hostMemoryLimit.ifPresent(v -> out.put(HOST_MEMORY_LIMIT, Long.toString(v)));
        hostPhysicalMemoryLimit.ifPresent(v -> out.put(HOST_PHYSICAL_MEMORY_LIMIT, Long.toString(v)));
        deviceCache.ifPresent(v -> out.put(DEVICE_CACHE, Long.toString(v)));
        hostCache.ifPresent(v -> out.put(HOST_CACHE, Long.toString(v)));
        periodicGcMillis.ifPresent(v -> out.put(PERIODIC_GC_MS, Integer.toString(v)));
        return out;
    }

    /**
     * Parses a size: bytes, or a number with {@code k}, {@code m}, {@code g}, {@code t} (optionally followed by
     * {@code b} or {@code ib}; all binary, 1024-based), e.g. {@code 512m}, {@code 1.5GiB}, {@code 8G}.
     *
     * @throws NumberFormatException when {@code text} is not such a size or is not a whole number of bytes
     */
    public static long parseSize(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT).replace("_", "");
        if (s.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        int shift = 0;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'k' -> shift = 10;
                case 'm' -> shift = 20;
                case 'g' -> shift = 30;
                case 't' -> shift = 40;
                default -> shift = 0;
            }
        }
        if (shift > 0) {
            s = s.substring(0, s.length() - 1).strip();
        }
        if (s.isEmpty() || !s.matches("\\d+(\\.\\d+)?")) {
            throw new NumberFormatException(text);
        }
        BigDecimal bytes = new BigDecimal(s).multiply(BigDecimal.valueOf(2).pow(shift));
        return bytes.stripTrailingZeros().scale() > 0 ? fail(text) : bytes.longValueExact();
    }

    private static long fail(String text) {
        throw new NumberFormatException(text);
    }

    private static OptionalLong size(Map<String, String> settings, String key) {
        String v = settings.get(key);
        if (v == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(parseSize(v));
        } catch (NumberFormatException | ArithmeticException e) {
            throw new FineTuneException("device setting " + key + "='" + v + "': expected a size such as 512m, 8g"
                    + " or a number of bytes");
        }
    }

    private static OptionalInt millis(Map<String, String> settings, String key) {
        String v = settings.get(key);
        if (v == null) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(v.strip()));
        } catch (NumberFormatException e) {
            throw new FineTuneException("device setting " + key + "='" + v + "': expected milliseconds (0 = off)");
        }
    }

    private static void positive(String key, OptionalLong value) {
        if (value.isPresent() && value.getAsLong() <= 0) {
            throw new FineTuneException("device setting " + key + ": must be > 0 bytes, got " + value.getAsLong());
        }
    }
}
