package dev.finetune4j.encoding;

import dev.finetune4j.data.EncodedExample;
import java.util.Objects;

/**
 * A pairwise example (stages rm, dpo) after encoding: both sequences start with the same (truncated) prompt;
 * labels are -100 on the prompt and the answer ids on the answer.
 */
public record EncodedPair(EncodedExample chosen, EncodedExample rejected) {
    public EncodedPair {
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
    }
}
