package dev.finetune4j.train.loss;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * Metrics of one loss evaluation (TRL/LLaMA-Factory names such as {@code rewards/chosen}), kept in a form that
 * adds up over micro-batches and steps the way LLaMA-Factory logs them.
 *
 * <p>Each metric is a weighted mean: a {@link Builder#mean mean} contributes its value with weight 1, so the
 * logged value is the mean of the per-batch means (LLaMA-Factory's DPO trainer); a {@link Builder#total total}
 * contributes a sum and a count, so the logged value is the sum over all batches divided by the count over all
 * batches (its KTO trainer, where a batch may hold no desirable or no undesirable example). A
 * {@link Builder#difference difference} is computed from two other metrics after aggregation, and only when
 * both are present (KTO's {@code rewards/margins}).
 *
 * <p>Immutable. Aggregate with {@link #plus}, read with {@link #values()} when a log line is written.
 */
public final class LossMetrics {
    private sealed interface Entry permits Weighted, Difference {
    }

    private record Weighted(double sum, double weight) implements Entry {
        Weighted plus(Weighted o) {
            return new Weighted(sum + o.sum, weight + o.weight);
        }
    }

    private record Difference(String minuend, String subtrahend) implements Entry {
    }

    private static final LossMetrics EMPTY = new LossMetrics(new LinkedHashMap<>());

    private final Map<String, Entry> entries;

    private LossMetrics(LinkedHashMap<String, Entry> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** No metrics; the neutral element of {@link #plus}. */
    public static LossMetrics empty() {
        return EMPTY;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** These metrics and {@code other}'s, accumulated (for several micro-batches or steps in one log line). */
    public LossMetrics plus(LossMetrics other) {
        LinkedHashMap<String, Entry> merged = new LinkedHashMap<>(entries);
        other.entries.forEach((name, entry) -> merged.merge(name, entry, (a, b) -> {
            if (a instanceof Weighted wa && b instanceof Weighted wb) {
                return wa.plus(wb);
            }
            if (a.equals(b)) {
                return a;
            }
            throw new IllegalArgumentException("metric '" + name + "' is defined in two different ways");
        }));
        return new LossMetrics(merged);
    }

    /**
     * The metric values, in the order they were first added: sum/weight for each metric with non-zero weight,
     * then each difference whose two operands have a value.
     */
    public Map<String, Double> values() {
        Map<String, Double> weighted = new HashMap<>();
        entries.forEach((name, entry) -> {
            if (entry instanceof Weighted w && w.weight() > 0) {
                weighted.put(name, w.sum() / w.weight());
            }
        });
        Map<String, Double> result = new LinkedHashMap<>();
        entries.forEach((name, entry) -> {
            if (entry instanceof Difference d) {
                Double a = weighted.get(d.minuend());
                Double b = weighted.get(d.subtrahend());
                if (a != null && b != null) {
                    result.put(name, a - b);
                }
            } else if (weighted.containsKey(name)) {
                result.put(name, weighted.get(name));
            }
        });
        return Collections.unmodifiableMap(result);
    }

    /** The value of one metric, empty when absent (or when it has no weight yet). */
    public OptionalDouble value(String name) {
        Double v = values().get(name);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    @Override
    public String toString() {
        return values().toString();
    }

    /** Collects the metrics of one evaluation. */
    public static final class Builder {
        private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

        private Builder() {
        }

        private Builder add(String name, Entry entry) {
            Objects.requireNonNull(name, "name");
            if (entries.putIfAbsent(name, entry) != null) {
                throw new IllegalArgumentException("metric '" + name + "' added twice");
            }
            return this;
        }

        /** A per-batch mean; aggregates as the mean over batches. */
        public Builder mean(String name, double value) {
            return add(name, new Weighted(value, 1.0));
        }

        /** A sum over {@code count} items; aggregates as total sum over total count ({@code count} may be 0). */
        public Builder total(String name, double sum, double count) {
            if (count < 0) {
                throw new IllegalArgumentException("metric '" + name + "': count must be >= 0, got " + count);
            }
            return add(name, new Weighted(sum, count));
        }

        /** {@code minuend − subtrahend}, computed after aggregation when both have a value. */
        public Builder difference(String name, String minuend, String subtrahend) {
            return add(name, new Difference(Objects.requireNonNull(minuend), Objects.requireNonNull(subtrahend)));
        }

        public LossMetrics build() {
            return new LossMetrics(new LinkedHashMap<>(entries));
        }
    }
}
