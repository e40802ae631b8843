package dev.finetune4j.adapter;

import dev.finetune4j.config.MethodSettings;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Creates {@link Adapter}s of one method; registered in {@code META-INF/services/dev.finetune4j.adapter.AdapterProvider}
 * and found through {@link Adapters}.
 */
public interface AdapterProvider {

    /** The method name, lower case ({@code lora}), as PEFT's {@code peft_type} lower-cased. */
    String method();

    /**
     * A new adapter from the method settings (rank, alpha, dropout, targets…), initialised from {@code seed}.
     *
     * @throws dev.finetune4j.FineTuneException for settings this method cannot honour
     */
    Adapter create(MethodSettings settings, long seed);

    /**
     * An adapter read from a PEFT adapter folder ({@code adapter_config.json} + {@code adapter_model.safetensors});
     * its weights are copied into the model by {@link Adapter#apply}.
     *
     * @param trainable whether its parameters train (continue training) or stay frozen (inference, merge)
     * @param seed      seeds the dropout of a trainable adapter
     */
    Adapter load(Path dir, boolean trainable, long seed) throws IOException;

    /**
     * Writes {@code outDir}: the HuggingFace model of {@code modelDir} with the adapter saved in {@code adapterDir}
     * merged into its weights, in the base's storage type, with config, generation config and tokenizer files copied
     * (what {@code finetune export} does).
     */
    void exportMerged(Path modelDir, Path adapterDir, Path outDir) throws IOException;
}
