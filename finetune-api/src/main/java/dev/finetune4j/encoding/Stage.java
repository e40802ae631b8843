package dev.finetune4j.encoding;

import dev.finetune4j.FineTuneException;
import java.util.Locale;

/** Training stages by LLaMA-Factory's names, and what kind of encoded data each consumes. */
public enum Stage {
    /** Pre-training: text documents, every token trained. */
    PT,
    /** Supervised fine-tuning: conversations, answers trained. */
    SFT,
    /** Reward modelling: chosen/rejected pairs. */
    RM,
    /** Direct preference optimisation (and ORPO/SimPO, LLaMA-Factory's {@code pref_loss}): chosen/rejected pairs. */
    DPO,
    /** Kahneman-Tversky optimisation: single answers tagged desirable or not, with a KL example. */
    KTO;

    /** True for the stages trained on chosen/rejected pairs. */
    public boolean isPairwise() {
        return this == RM || this == DPO;
    }

    /** The stage named {@code name} ({@code sft}, {@code pt}, …), case-insensitive. */
    public static Stage of(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new FineTuneException("unknown stage '" + name + "'; expected one of pt, sft, rm, dpo, kto");
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
