package dev.finetune4j.train.optim;

import dev.finetune4j.config.FinetuningType;
import dev.finetune4j.config.MethodSettings;
import dev.finetune4j.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * The optimizer's parameter groups of a run, as LLaMA-Factory builds them: HuggingFace Trainer's decay / no-decay
 * groups, or — LoRA with {@code loraplus_lr_ratio} λ — LoRA+'s groups ({@link #loraPlus}).
 */
public final class OptimizerGroups {
    private OptimizerGroups() {
    }

    /** The groups for {@code trainable} under the run's method settings. */
    public static List<ParamGroup> of(MethodSettings method, List<Parameter> trainable, double learningRate,
                                      double weightDecay) {
        if (method.finetuningType() == FinetuningType.LORA && method.loraplusLrRatio() != null) {
            return loraPlus(trainable, method.loraplusLrRatio(),
                    learningRate > 0 ? method.loraplusLrEmbedding() / learningRate : 0,
                    weightDecay);
        }
        return ParamGroup.huggingFaceDefault(trainable, weightDecay);
    }

    /**
     * LoRA+ (LLaMA-Factory's {@code _create_loraplus_optimizer}): {@code lora_a} = every 2-D parameter but B (lr,
     * weight decay); {@code lora_b} = B and every 1-D parameter (DoRA magnitudes, biases) that decays (lr·λ, weight
     * decay); {@code lora_b_nodecay} = those that do not (lr·λ, no decay); {@code embedding} = embedding LoRA B
     * ({@code lora_embedding_B}; lr = {@code loraplus_lr_embedding}, given here as a scale of the base lr). Empty
     * groups are kept, so the layout does not depend on the model.
     */
    public static List<ParamGroup> loraPlus(List<Parameter> trainable, double ratio, double embeddingLrScale,
                                            double weightDecay) {
        List<Parameter> a = new ArrayList<>();
        List<Parameter> b = new ArrayList<>();
        List<Parameter> bNoDecay = new ArrayList<>();
        List<Parameter> embedding = new ArrayList<>();
        for (Parameter p : trainable) {
            String n = p.name();
            if (n.contains("lora_embedding_B")) {
                embedding.add(p);
            } else if (n.contains("lora_B") || p.value().rank() == 1) {
                (ParamGroup.decays(n) ? b : bNoDecay).add(p);
            } else {
                a.add(p);
            }
        }
        return List.of(new ParamGroup("lora_a", a, 1, weightDecay),
                new ParamGroup("lora_b", b, ratio, weightDecay),
                new ParamGroup("lora_b_nodecay", bNoDecay, ratio, 0),
                new ParamGroup("embedding", embedding, embeddingLrScale, weightDecay));
    }
}
