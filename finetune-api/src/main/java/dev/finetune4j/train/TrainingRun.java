package dev.finetune4j.train;

import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.tokenizer.Tokenizer;
import dev.finetune4j.train.data.TrainingData;
import java.util.List;
import java.util.Objects;

/**
 * Everything a {@link Trainer} recipe works with during a run: the settings, the model (with its adapter applied),
 * the tokenizer and template, the encoded data, the loss, and the parameters that train.
 *
 * @param adapter   the PEFT adapter being trained, or null for full / freeze fine-tuning
 * @param trainable the parameters the optimizer updates, in model order
 */
public record TrainingRun(FineTuneConfig config, CausalLM model, Adapter adapter, Tokenizer tokenizer,
                          ChatTemplate template, TrainingData data, Loss loss, List<Parameter> trainable) {
    public TrainingRun {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(loss, "loss");
        trainable = List.copyOf(trainable);
    }
}
