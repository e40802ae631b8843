package dev.finetune4j.model.generate;

/**
 * Receives each generated token id as soon as it is chosen (the stop token too, last). Turning ids into text is
 * the caller's job (it owns the tokenizer; decode the ids seen so far to handle multi-byte characters).
 */
@FunctionalInterface
public interface TokenStreamer {
    void onToken(int tokenId);
}
