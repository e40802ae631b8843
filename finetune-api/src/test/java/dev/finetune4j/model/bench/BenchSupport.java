package dev.finetune4j.model.bench;

import dev.finetune4j.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Shared bits of the benchmark mains: presets of ../shared/tools/torchref/bench.py, /proc memory figures, args. */
final class BenchSupport {
    private BenchSupport() {
    }

    static ModelConfig preset(String name) {
        return switch (name) {
            case "tiny" -> ModelConfig.builder("llama").hidden(256).layers(4).heads(4).kvHeads(2).intermediate(688)
                    .vocab(8192).tieWordEmbeddings(false).build();
            case "small" -> ModelConfig.builder("llama").hidden(512).layers(8).heads(8).kvHeads(4).intermediate(1376)
                    .vocab(32000).tieWordEmbeddings(false).build();
            case "qwen05" -> ModelConfig.builder("qwen2").hidden(896).layers(24).heads(14).kvHeads(2)
                    .intermediate(4864).vocab(151936).tieWordEmbeddings(true).ropeTheta(1000000)
                    .maxPositionEmbeddings(32768).build();
            default -> throw new IllegalArgumentException("preset tiny, small or qwen05, not " + name);
        };
    }

    /** A /proc/self/status field in MiB (VmRSS, VmHWM). */
    static double procMb(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /** Resets VmHWM to the current RSS (Linux >= 4.0). */
    static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code --key value} and {@code --flag} pairs. */
    static Map<String, String> args(String[] a) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < a.length; i++) {
            if (!a[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + a[i]);
            }
            String k = a[i].substring(2);
            if (i + 1 < a.length && !a[i + 1].startsWith("--")) {
                m.put(k, a[++i]);
            } else {
                m.put(k, "true");
            }
        }
        return m;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
