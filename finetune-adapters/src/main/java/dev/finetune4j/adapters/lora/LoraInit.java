package dev.finetune4j.adapters.lora;

import java.util.Locale;

/** How new LoRA weights start (PEFT's {@code init_lora_weights}). */
public enum LoraInit {
    /** {@code true}: A Kaiming-uniform (a = √5, i.e. U(±1/√in)), B = 0, so the adapter starts as a no-op. */
    DEFAULT,
    /** {@code "gaussian"}: A ~ N(0, (1/r)²) (PEFT's std = 1/r), B = 0. */
    GAUSSIAN,
    /**
     * {@code false}: both as torch's default {@code nn.Linear} init, A ~ U(±1/√in), B ~ U(±1/√r); the adapter
     * changes the model from the start (tests, debugging).
     */
    RANDOM;

    /** The {@code init_lora_weights} JSON value: {@code true}, {@code "gaussian"} or {@code false}. */
    public Object peftValue() {
        return switch (this) {
            case DEFAULT -> Boolean.TRUE;
            case GAUSSIAN -> "gaussian";
            case RANDOM -> Boolean.FALSE;
        };
    }

    /** Parses the {@code init_lora_weights} value ({@code true}, {@code false}, {@code "gaussian"}). */
    public static LoraInit parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "default" -> DEFAULT;
            case "gaussian" -> GAUSSIAN;
            case "false", "random" -> RANDOM;
            default -> throw new IllegalArgumentException("init_lora_weights '" + value
                    + "' is not supported; use true, false or gaussian (PiSSA/OLoRA/LoftQ come later)");
        };
    }
}
