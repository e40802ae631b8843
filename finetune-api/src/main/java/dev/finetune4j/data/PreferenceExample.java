package dev.finetune4j.data;

import java.util.Objects;

/**
 * A pairwise example for reward modelling and DPO-family stages: a prompt conversation (ending with a
 * prompt-side turn) and two answers, the preferred one and the rejected one.
 */
public record PreferenceExample(Conversation prompt, Message chosen, Message rejected) implements Example {
    public PreferenceExample {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
    }
}
