package dev.finetune4j.config;

/**
 * How stage {@code ppo} samples its responses (LLaMA-Factory's generating arguments, with its defaults:
 * {@code do_sample: true}, {@code temperature: 0.95}, {@code top_p: 0.7}, {@code top_k: 50},
 * {@code max_new_tokens: 1024}, {@code repetition_penalty: 1.0}). The other stages do not generate.
 */
public record GeneratingSettings(boolean doSample, double temperature, double topP, int topK, int maxNewTokens,
                                 double repetitionPenalty) {
}
