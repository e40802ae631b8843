package dev.finetune4j.data;

import dev.finetune4j.FineTuneException;
import java.util.Objects;

/**
 * How a dataset is read: what happens to bad records, how many rows are kept, and the seed of
 * LLaMA-Factory's {@code num_samples} resampling.
 *
 * @param policy      stop at bad records ({@link ValidationPolicy#STRICT}) or drop them ({@link ValidationPolicy#LENIENT})
 * @param maxProblems under STRICT, how many problems the error lists at most (the reader stops scanning then)
 * @param maxSamples  keep only the first N rows of each dataset ({@code max_samples}), or null for all
 * @param seed        seed of the {@code num_samples} resampling (the training {@code seed})
 */
public record DatasetOptions(ValidationPolicy policy, int maxProblems, Integer maxSamples, long seed) {

    /** Lenient (as LLaMA-Factory), all rows, seed 42. */
    public static final DatasetOptions DEFAULTS = new DatasetOptions(ValidationPolicy.LENIENT, 20, null, 42);

    public DatasetOptions {
        Objects.requireNonNull(policy, "policy");
        if (maxProblems < 1) {
            throw new FineTuneException("maxProblems must be at least 1, got " + maxProblems);
        }
        if (maxSamples != null && maxSamples < 1) {
            throw new FineTuneException("max_samples must be positive, got " + maxSamples);
        }
    }

    public DatasetOptions withPolicy(ValidationPolicy v) {
        return new DatasetOptions(v, maxProblems, maxSamples, seed);
    }

    public DatasetOptions withMaxProblems(int v) {
        return new DatasetOptions(policy, v, maxSamples, seed);
    }

    public DatasetOptions withMaxSamples(Integer v) {
        return new DatasetOptions(policy, maxProblems, v, seed);
    }

    public DatasetOptions withSeed(long v) {
        return new DatasetOptions(policy, maxProblems, maxSamples, v);
    }
}
