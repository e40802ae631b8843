package dev.finetune4j.data;

import java.util.Objects;

/**
 * An example for KTO: a conversation whose last turn is the model's answer, and whether that answer is
 * desirable ({@code kto_tag} true) or not.
 */
public record KtoExample(Conversation conversation, boolean desirable) implements Example {
    public KtoExample {
        Objects.requireNonNull(conversation, "conversation");
    }
}
