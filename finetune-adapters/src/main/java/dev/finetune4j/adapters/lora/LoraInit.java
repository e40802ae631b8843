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
    RANDOM,
    /**
     * {@code "pissa"} / {@code "pissa_niter_K"}: A and B from the top-r singular triplets of the base weight
     * ({@link PissaInit}); the base weight becomes the residual {@code W − s·B·A}, so the model starts unchanged.
     */
    PISSA;

    /**
     * The {@code init_lora_weights} JSON value: {@code true}, {@code "gaussian"}, {@code false}, or for PiSSA
     * {@code "pissa"} (exact SVD, {@code pissaIter} −1) / {@code "pissa_niter_K"}.
     */
    public Object peftValue(int pissaIter) {
        return switch (this) {
            case DEFAULT -> Boolean.TRUE;
            case GAUSSIAN -> "gaussian";
            case RANDOM -> Boolean.FALSE;
            case PISSA -> pissaIter < 0 ? "pissa" : "pissa_niter_" + pissaIter;
        };
    }

    /** {@link #peftValue(int)} with PEFT's default 16 iterations. */
    public Object peftValue() {
        return peftValue(16);
    }

    /** Parses the {@code init_lora_weights} value ({@code true}, {@code false}, {@code "gaussian"}). */
    public static LoraInit parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "default" -> DEFAULT;
            case "gaussian" -> GAUSSIAN;
            case "false", "random" -> RANDOM;
            case "pissa" -> PISSA;
            default -> throw new IllegalArgumentException("init_lora_weights '" + value
                    + "' is not supported; use true, false, gaussian or pissa (OLoRA/LoftQ are not supported)");
        };
    }
}
