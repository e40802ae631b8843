package dev.finetune4j.tokenizer;

/**
 * Token ids of a text with, for each token, its character span {@code [starts[i], ends[i])} in the text
 * (UTF-16 indices, as {@link String#substring(int, int)} takes them).
 */
public record TokenizedText(int[] ids, int[] starts, int[] ends) {
    public TokenizedText {
        if (ids.length != starts.length || ids.length != ends.length) {
            throw new IllegalArgumentException("ids, starts and ends must have the same length");
        }
    }
}
