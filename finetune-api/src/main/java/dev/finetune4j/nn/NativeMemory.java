package dev.finetune4j.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps the process's native memory from creeping up between garbage collections.
 *
 * <p>ND4J 1.0.0-M2.1 (CPU) frees native buffers only when their Java owners are collected; every op also makes a few
 * small native allocations (shape and op descriptors, ~10 KB). With a large Java heap, collections are rare and a
 * training run's RSS grows by tens of megabytes per step. {@link #collectIfGrown()} asks for a collection when the
 * resident set grew by more than a threshold since the last one; the decoder calls it after each backward and
 * inference pass. The check reads {@code /proc/self/statm} (a few microseconds); elsewhere it does nothing.
 */
public final class NativeMemory {
    private static final Path STATM = Path.of("/proc/self/statm");
    private static final long PAGE = 4096;
    private static final long THRESHOLD = Long.getLong("finetune4j.gcThresholdBytes", 64L << 20);
    private static long baseline = -1;
    private static boolean unavailable;
    private static long collections;

    private NativeMemory() {
    }

    /** The resident set size in bytes, or -1 where {@code /proc} is not available. */
    public static long residentBytes() {
        if (unavailable) {
            return -1;
        }
        try {
            String s = Files.readString(STATM);
            String[] f = s.trim().split("\\s+");
            return Long.parseLong(f[1]) * PAGE;
        } catch (IOException | RuntimeException e) {
            unavailable = true;
            return -1;
        }
    }

    /** The peak resident set size of the process ({@code VmHWM}) in bytes, or -1 where unknown. */
    public static long peakResidentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** How many collections {@link #collectIfGrown()} asked for. */
    public static synchronized long collections() {
        return collections;
    }

    /** Runs {@code System.gc()} if the RSS grew by more than the threshold (64 MiB) since the last time. */
    public static synchronized void collectIfGrown() {
        long rss = residentBytes();
        if (rss < 0) {
            return;
        }
        if (baseline < 0) {
            baseline = rss;
            return;
        }
        if (rss > baseline + THRESHOLD) {
            System.gc();
            collections++;
            long after = residentBytes();
            baseline = after < 0 ? rss : after;
        }
    }
}
