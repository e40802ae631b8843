package dev.finetune4j.config;

import dev.finetune4j.FineTuneException;
import java.util.Locale;
import java.util.Set;

/** Learning-rate schedule after warmup ({@code lr_scheduler_type:}), with HuggingFace's formulas. */
public enum SchedulerType {
    LINEAR, COSINE, CONSTANT, CONSTANT_WITH_WARMUP;

    private static final Set<String> HF_OTHERS = Set.of("cosine_with_restarts", "polynomial", "inverse_sqrt",
            "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay");

    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SchedulerType parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (SchedulerType t : values()) {
            if (t.yamlName().equals(n)) {
                return t;
            }
        }
        if (HF_OTHERS.contains(n)) {
            throw new FineTuneException("lr_scheduler_type '" + name
                    + "' is not supported yet; use linear, cosine, constant or constant_with_warmup");
        }
        throw new FineTuneException("lr_scheduler_type '" + name
                + "' is not one of linear, cosine, constant, constant_with_warmup");
    }
}
