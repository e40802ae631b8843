package dev.finetune4j.train.memory;

import java.util.Locale;

/** The methods {@link MemoryEstimator} knows: what trains and how the frozen base is stored. */
public enum TuningMethod {
    /** LoRA on every linear layer but the head, fp32 base. */
    LORA("lora"),
    /** LoRA on a 4-bit NF4 base (double quantization). */
    QLORA_4("qlora-4"),
    /** LoRA on an INT8 base. */
    QLORA_8("qlora-8"),
    /** The last decoder layers train (LLaMA-Factory's default: 2). */
    FREEZE("freeze"),
    /** Every parameter trains. */
    FULL("full");

    private final String label;

    TuningMethod(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static TuningMethod parse(String s) {
        String n = s.trim().toLowerCase(Locale.ROOT);
        for (TuningMethod m : values()) {
            if (m.label.equals(n)) {
                return m;
            }
        }
        throw new IllegalArgumentException("method '" + s + "' is not one of lora, qlora-4, qlora-8, freeze, full");
    }
}
