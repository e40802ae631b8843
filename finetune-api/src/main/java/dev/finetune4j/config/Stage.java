package dev.finetune4j.config;

import dev.finetune4j.FineTuneException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The training stage, by LLaMA-Factory's names ({@code stage:} in YAML). */
public enum Stage {
    /** Pre-training / continued pre-training on plain text. */
    PT,
    /** Supervised fine-tuning on conversations. */
    SFT,
    /** Reward model on preference pairs. */
    RM,
    /** PPO with a reward model. */
    PPO,
    /** Direct preference optimisation and its family (the {@code pref_loss} chooses sigmoid, hinge, ipo, orpo, simpo). */
    DPO,
    /** Kahneman-Tversky optimisation on desirable/undesirable answers. */
    KTO;

    /** True for the stages trained on chosen/rejected pairs (reward model and the DPO family). */
    public boolean isPairwise() {
        return this == RM || this == DPO;
    }

    /** The YAML name, e.g. {@code sft}. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Stage parse(String name) {
        for (Stage s : values()) {
            if (s.yamlName().equals(name.trim().toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new FineTuneException("stage '" + name + "' is not one of "
                + Arrays.stream(values()).map(Stage::yamlName).collect(Collectors.joining(", ")));
    }
}
