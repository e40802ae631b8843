package dev.finetune4j.quant;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.ModelSettings;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.nn.DenseWeight;
import dev.finetune4j.nn.NativeMemory;
import dev.finetune4j.nn.WeightStore;
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

    /** The module bitsandbytes (through transformers) leaves unquantized: the output head. */
    public static boolean keepsFullPrecision(String module) {
        return module.equals("lm_head");
    }

    /**
     * QLoRA's base model as it loads: every linear weight but the LM head (and the embedding, which is not a linear
     * layer) is quantized with {@code q} as soon as it is read, and its full-precision array is closed, so loading
     * holds one full-precision tensor at a time besides the quantized ones.
     *
     * <pre>{@code CausalLM model = CausalLM.load(dir, options, Quantizers.baseWeights(Quantizers.nf4()));}</pre>
     */
    public static CausalLM.LinearWeights baseWeights(Quantizer q) {
        return (module, weight) -> {
            if (keepsFullPrecision(module)) {
                return new DenseWeight(weight);
            }
            WeightStore s = q.quantize(weight.name(), weight.value());
            if (weight.value().closeable()) {
                weight.value().close();
            }
            NativeMemory.collectIfGrown();
            return s;
        };
    }
}
