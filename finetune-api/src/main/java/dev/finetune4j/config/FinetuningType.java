package dev.finetune4j.config;

import dev.finetune4j.FineTuneException;
import java.util.Locale;

/** What trains ({@code finetuning_type:}): adapters, a subset of the weights, or all of them. */
public enum FinetuningType {
    LORA, FREEZE, FULL;

    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FinetuningType parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (FinetuningType t : values()) {
            if (t.yamlName().equals(n)) {
                return t;
            }
        }
        if (n.equals("oft")) {
            throw new FineTuneException("finetuning_type 'oft' is not supported yet; use lora, freeze or full");
        }
        throw new FineTuneException("finetuning_type '" + name + "' is not one of lora, freeze, full");
    }
}
