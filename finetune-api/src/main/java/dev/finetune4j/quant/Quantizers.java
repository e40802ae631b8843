package dev.finetune4j.quant;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.ModelSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/** Finds {@link Quantizer}s by name on the class path (implementations: the finetune-adapters module). */
public final class Quantizers {
    private Quantizers() {
    }

    /** NF4 (4-bit NormalFloat, blocks of 64) with double quantization, as QLoRA and LLaMA-Factory's default. */
    public static Quantizer nf4() {
        return get("nf4", true);
    }

    /** FP4 (bitsandbytes' 4-bit float, blocks of 64) with double quantization. */
    public static Quantizer fp4() {
        return get("fp4", true);
    }

    /** INT8 row-wise absmax (LLM.int8's weight format). */
    public static Quantizer int8() {
        return get("int8", false);
    }

    /** The quantizer named {@code name} (case-insensitive): {@code nf4}, {@code fp4} or {@code int8}. */
    public static Quantizer get(String name, boolean doubleQuantization) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        List<String> known = new ArrayList<>();
        for (QuantizerProvider p : ServiceLoader.load(QuantizerProvider.class, Quantizers.class.getClassLoader())) {
            if (p.name().equals(n)) {
                return p.create(doubleQuantization);
            }
            known.add(p.name());
        }
        throw new FineTuneException(known.isEmpty()
                ? "no quantizer on the class path: add the finetune-adapters module"
                : "quantization method '" + name + "' is not available; known: " + String.join(", ", known));
    }

    /**
     * The quantizer LLaMA-Factory's model settings ask for: {@code quantization_bit: 4} with {@code quantization_type}
     * (nf4, fp4) and {@code double_quantization}; {@code quantization_bit: 8} = INT8; null when the bit is 0 (none).
     */
    public static Quantizer fromSettings(ModelSettings model) {
        return switch (model.quantizationBit()) {
            case 0 -> null;
            case 4 -> get(model.quantizationType() == null ? "nf4" : model.quantizationType(),
                    model.doubleQuantization());
            case 8 -> int8();
            default -> throw new FineTuneException("quantization_bit must be 4 or 8 (or absent), got "
                    + model.quantizationBit());
        };
    }
}
