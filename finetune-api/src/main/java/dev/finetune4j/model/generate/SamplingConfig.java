package dev.finetune4j.model.generate;

/**
 * How the next token is chosen, with HuggingFace {@code generate} semantics and order: the repetition penalty
 * first (a logit of a token already in the prompt or output is divided by the penalty if positive, multiplied if
 * negative), then, when sampling, temperature, top-k and top-p (the smallest set of most likely tokens whose
 * probability reaches {@code topP}), then a seeded draw. Without sampling, the most likely token (greedy).
 *
 * @param doSample          false = greedy
 * @param temperature       > 0; 1 leaves the distribution as it is
 * @param topK              0 = no limit
 * @param topP              in (0, 1]; 1 = no limit
 * @param repetitionPenalty >= 1 (1 = none); applied with and without sampling
 * @param seed              the random stream of sampling (the same seed gives the same text)
 */
public record SamplingConfig(boolean doSample, double temperature, int topK, double topP, double repetitionPenalty,
                             long seed) {
    public SamplingConfig {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (!(repetitionPenalty > 0)) {
            throw new IllegalArgumentException("repetition_penalty must be > 0, got " + repetitionPenalty);
        }
    }

    /** Greedy decoding, no penalty. */
    public static SamplingConfig greedy() {
        return new SamplingConfig(false, 1.0, 0, 1.0, 1.0, 0);
    }

    /** Sampling with the given temperature, top-k, top-p and seed, no penalty. */
    public static SamplingConfig sample(double temperature, int topK, double topP, long seed) {
        return new SamplingConfig(true, temperature, topK, topP, 1.0, seed);
    }

    public SamplingConfig withRepetitionPenalty(double p) {
        return new SamplingConfig(doSample, temperature, topK, topP, p, seed);
    }

    public SamplingConfig withSeed(long s) {
        return new SamplingConfig(doSample, temperature, topK, topP, repetitionPenalty, s);
    }
}
