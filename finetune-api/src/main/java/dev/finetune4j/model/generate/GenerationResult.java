package dev.finetune4j.model.generate;

/**
 * The generated tokens (without the prompt; the stop token, if one ended generation, is the last) and why it
 * stopped.
 */
public record GenerationResult(int[] tokens, StopReason stopReason, int promptTokens) {
    /** Why generation ended. */
    public enum StopReason {
        /** An end-of-sequence id of the model was generated. */
        EOS,
        /** One of the caller's stop token ids was generated. */
        STOP_TOKEN,
        /** {@code maxNewTokens} were generated. */
        MAX_TOKENS
    }

    public GenerationResult {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    /** The tokens without a final stop token. */
    public int[] contentTokens() {
        return stopReason == StopReason.MAX_TOKENS ? tokens.clone() : java.util.Arrays.copyOf(tokens, tokens.length - 1);
    }
}
