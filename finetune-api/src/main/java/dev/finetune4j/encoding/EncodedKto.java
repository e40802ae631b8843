package dev.finetune4j.encoding;

import dev.finetune4j.data.EncodedExample;
import java.util.Objects;

/**
 * A KTO example after encoding: the example itself, the KL example (the same prompt with the previous
 * example's answer, LLaMA-Factory's mismatched pair for the KL estimate) and whether the answer is desirable.
 */
public record EncodedKto(EncodedExample example, EncodedExample klExample, boolean desirable) {
    public EncodedKto {
        Objects.requireNonNull(example, "example");
        Objects.requireNonNull(klExample, "klExample");
    }
}
