package dev.finetune4j.device;

import dev.finetune4j.FineTuneException;
import java.util.Locale;
import java.util.Objects;

/**
 * Which device training and inference run on: {@code cpu}, {@code cuda} (= {@code cuda:0}), {@code cuda:N}, or
 * {@code auto} (CUDA when the backend is on the classpath and a GPU is visible, else the CPU). What a builder's
 * {@code .device("cuda:0")} and a YAML {@code device: cuda} hold; {@link Devices#activate} makes it real.
 *
 * @param kind  the kind of device
 * @param index the CUDA device ordinal (0 for {@code cuda}); always 0 for {@code cpu} and {@code auto}
 */
public record DeviceSpec(Kind kind, int index) {

    /** The kinds of device. */
    public enum Kind { CPU, CUDA, AUTO }

    public static final DeviceSpec CPU = new DeviceSpec(Kind.CPU, 0);
    public static final DeviceSpec CUDA = new DeviceSpec(Kind.CUDA, 0);
    public static final DeviceSpec AUTO = new DeviceSpec(Kind.AUTO, 0);

    public DeviceSpec {
        Objects.requireNonNull(kind, "kind");
        if (index < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + index);
        }
        if (kind != Kind.CUDA && index != 0) {
            throw new IllegalArgumentException(kind.name().toLowerCase(Locale.ROOT) + " takes no device index");
        }
    }

    public static DeviceSpec cuda(int index) {
        return new DeviceSpec(Kind.CUDA, index);
    }

    /**
     * Parses {@code cpu}, {@code cuda}, {@code cuda:N}, {@code gpu} (= {@code cuda}) or {@code auto}, ignoring case
     * and surrounding blanks.
     *
     * @throws FineTuneException naming the value and what is accepted
     */
    public static DeviceSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new FineTuneException("device: empty; expected cpu, cuda, cuda:N or auto");
        }
        String s = text.strip().toLowerCase(Locale.ROOT);
        switch (s) {
            case "cpu":
                return CPU;
            case "cuda":
            case "gpu":
                return CUDA;
            case "auto":
                return AUTO;
            default:
                break;
        }
        if (s.startsWith("cuda:")) {
            String n = s.substring("cuda:".length());
            if (!n.isEmpty() && n.length() <= 4 && n.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return cuda(Integer.parseInt(n));
            }
        }
        throw new FineTuneException("device '" + text.strip() + "': expected cpu, cuda, cuda:N (N = 0, 1, ...) or auto");
    }

    public boolean isCuda() {
        return kind == Kind.CUDA;
    }

    /** The canonical text: {@code cpu}, {@code cuda:N} or {@code auto}; {@link #parse} reads it back. */
    @Override
    public String toString() {
        return switch (kind) {
            case CPU -> "cpu";
            case CUDA -> "cuda:" + index;
            case AUTO -> "auto";
        };
    }
}
