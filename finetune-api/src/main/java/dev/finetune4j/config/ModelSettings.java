package dev.finetune4j.config;

import java.nio.file.Path;

/**
 * Which model, which adapter to continue, where it runs and how its frozen weights are stored.
 *
 * @param modelNameOrPath     a HuggingFace checkpoint folder ({@code model_name_or_path})
 * @param adapterNameOrPath   a PEFT adapter folder to continue training from, or null ({@code adapter_name_or_path})
 * @param device              {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N} ({@code device})
 * @param quantizationBit     0 (none), 4 or 8 ({@code quantization_bit}); frozen base weights only
 * @param quantizationType    {@code nf4} or {@code fp4} for 4-bit ({@code quantization_type})
 * @param doubleQuantization  quantize the 4-bit block scales again ({@code double_quantization}, default true)
 * @param activationCheckpointing recompute each layer's forward in backward to save memory (LF's gradient
 *                            checkpointing; {@code disable_gradient_checkpointing: false} turns it on)
 */
public record ModelSettings(Path modelNameOrPath, Path adapterNameOrPath, String device, int quantizationBit,
                            String quantizationType, boolean doubleQuantization, boolean activationCheckpointing) {
}
