package dev.finetune4j.model;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Optional per-section wall-clock timings of the decoder's forward and backward (where a step's time goes).
 * Off by default (one volatile read per section); turn on with {@link #enable(boolean)} or
 * {@code -Dfinetune4j.opTimings=true}. ND4J's CPU ops run synchronously, so a section's time is its ops' time.
 * With {@code -Dfinetune4j.opTimings.cpu=true} the sections measure the calling thread's CPU time instead: with one
 * OpenMP/BLAS thread that is the work itself, unaffected by other processes taking the CPU (a noisy shared machine).
 * Not thread-safe: meant for a single training thread and benchmarks.
 */
public final class OpTimings {
    private static volatile boolean enabled = Boolean.getBoolean("finetune4j.opTimings");
    private static final boolean CPU = Boolean.getBoolean("finetune4j.opTimings.cpu");
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();
    private static final Map<String, long[]> TOTALS = new LinkedHashMap<>();

    private OpTimings() {
    }

    public static void enable(boolean on) {
        enabled = on;
    }

    public static boolean enabled() {
        return enabled;
    }

    /** A start mark: {@code 0} when timing is off. */
    public static long start() {
        return enabled ? now() : 0L;
    }

    private static long now() {
        return CPU ? THREADS.getCurrentThreadCpuTime() + 1 : System.nanoTime();
    }

    /** Adds the time since {@code start} to {@code section} (nothing when {@code start} is 0). */
    public static void stop(String section, long start) {
        if (start != 0L) {
            long dt = now() - start;
            long[] t = TOTALS.computeIfAbsent(section, k -> new long[2]);
            t[0] += dt;
            t[1]++;
        }
    }

    public static void reset() {
        TOTALS.clear();
    }

    /** Section → {total nanoseconds, calls}, in first-seen order. */
    public static Map<String, long[]> snapshot() {
        Map<String, long[]> out = new LinkedHashMap<>();
        TOTALS.forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }

    /** A table of the sections, milliseconds per {@code steps} (e.g. per training step). */
    public static String report(int steps) {
        StringBuilder sb = new StringBuilder();
        long total = TOTALS.values().stream().mapToLong(v -> v[0]).sum();
        sb.append(String.format(Locale.ROOT, "%-28s %10s %7s %8s%n", "section", "ms/step", "share", "calls"));
        for (Map.Entry<String, long[]> e : TOTALS.entrySet()) {
            long[] v = e.getValue();
            sb.append(String.format(Locale.ROOT, "%-28s %10.2f %6.1f%% %8d%n", e.getKey(), v[0] / 1e6 / steps,
                    100.0 * v[0] / Math.max(1, total), v[1] / Math.max(1, steps)));
        }
        return sb.toString();
    }
}
