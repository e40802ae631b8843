package dev.finetune4j.template;

/**
 * One piece of a LLaMA-Factory formatter: literal text (may contain {@code {{content}}}), the tokenizer's BOS or
 * EOS, or one exact token. Each text slot is tokenized on its own, as LLaMA-Factory does.
 */
public sealed interface Slot {
    /** Text, tokenized separately; {@code {{content}}} is replaced by the message. */
    record Text(String text) implements Slot {
    }

    /** The tokenizer's BOS id (nothing when the tokenizer has none). */
    record Bos() implements Slot {
    }

    /** The EOS id in effect for the template (after {@code replace_eos}). */
    record Eos() implements Slot {
    }

    /** The id of exactly this token. */
    record TokenRef(String token) implements Slot {
    }

    static Slot text(String s) {
        return new Text(s);
    }

    Slot BOS = new Bos();
    Slot EOS = new Eos();
}
