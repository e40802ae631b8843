package dev.finetune4j.data;

import java.util.Objects;

/** A plain text document for pre-training ({@code stage: pt}). */
public record TextDocument(String text) implements Example {
    public TextDocument {
        Objects.requireNonNull(text, "text");
    }
}
