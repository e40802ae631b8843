package dev.finetune4j.config;

import java.util.List;

/**
 * The stage and what trains (LLaMA-Factory's finetuning arguments).
 *
 * @param loraTarget        module names, or {@code all} = every linear layer but the LM head
 * @param loraplusLrRatio   LoRA+ learning-rate ratio for B, or null
 * @param freezeTrainableLayers positive: the last n layers train; negative: the first n
 */
public record MethodSettings(Stage stage, FinetuningType finetuningType,
                             int loraRank, int loraAlpha, double loraDropout, List<String> loraTarget,
                             boolean useRslora, boolean useDora, boolean pissaInit, int pissaIter,
                             boolean pissaConvert, Double loraplusLrRatio, double loraplusLrEmbedding,
                             List<String> additionalTarget,
                             int freezeTrainableLayers, List<String> freezeTrainableModules,
                             List<String> freezeExtraModules) {
    public MethodSettings {
        loraTarget = List.copyOf(loraTarget);
        additionalTarget = List.copyOf(additionalTarget);
        freezeTrainableModules = List.copyOf(freezeTrainableModules);
        freezeExtraModules = List.copyOf(freezeExtraModules);
    }

    /** The LoRA scaling factor alpha/r (rsLoRA: alpha/sqrt(r)). */
    public double loraScaling() {
        return useRslora ? loraAlpha / Math.sqrt(loraRank) : (double) loraAlpha / loraRank;
    }
}
