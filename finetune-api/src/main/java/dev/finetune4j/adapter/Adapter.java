package dev.finetune4j.adapter;

import dev.finetune4j.config.MethodSettings;
import dev.finetune4j.nn.AdaptableModel;
import dev.finetune4j.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A parameter-efficient fine-tuning method (LoRA and its family) applied to a model: it wraps some of the model's
 * {@link dev.finetune4j.nn.Linear} layers, freezes every base parameter, trains its own parameters, and saves
 * itself in the PEFT adapter layout ({@code adapter_config.json} + {@code adapter_model.safetensors}).
 *
 * <pre>{@code
 * Adapter lora = Adapters.create(config.method(), seed);         // or Adapters.load(adapterDir, true)
 * lora.apply(model);                                              // wraps the targets, freezes the base
 * List<Parameter> trainable = lora.trainableParameters();         // what the optimizer steps
 * ... train ...
 * lora.save(outputDir, modelNameOrPath);
 * }</pre>
 *
 * <p>An adapter is applied to one model, once. Implementations are found by {@link #method()} name through
 * {@link AdapterProvider} ({@link java.util.ServiceLoader}).
 */
public interface Adapter {

    /** The method name, lower case ({@code lora}); equals the provider's and PEFT's {@code peft_type} lower-cased. */
    String method();

    /**
     * Applies this adapter to {@code model}: freezes every base parameter and wraps the target layers. An adapter
     * loaded from a folder copies its saved weights in here.
     *
     * @throws dev.finetune4j.FineTuneException if no layer matches the targets, or saved weights do not fit the model
     * @throws IllegalStateException            if this adapter was applied already
     */
    void apply(AdaptableModel model);

    /** The module paths this adapter wraps, in model order (empty before {@link #apply}). */
    List<String> targetModules();

    /** The adapter's own parameters that train, in model order (empty before {@link #apply} or when frozen). */
    List<Parameter> trainableParameters();

    /** Every parameter of the adapter, trainable or not, in model order. */
    List<Parameter> parameters();

    /**
     * Turns the adapter on or off for the following forward passes (off: the model computes as its base, e.g. the
     * DPO reference model). Backward follows what the matching forward did.
     */
    void setEnabled(boolean enabled);

    boolean enabled();

    /**
     * Restarts the adapter's random streams (dropout masks) from {@code seed}. The training loop calls it before
     * every optimizer step with a seed derived from the run seed and the step, so a run resumed from a checkpoint
     * draws exactly the masks the uninterrupted run drew. Adapters without randomness ignore it.
     */
    default void reseed(long seed) {
    }

    /**
     * Writes the adapter folder (created if needed): {@code adapter_config.json} and {@code adapter_model.safetensors},
     * each written whole or not at all.
     *
     * @param baseModelNameOrPath recorded as {@code base_model_name_or_path}
     */
    void save(Path dir, String baseModelNameOrPath) throws IOException;

    /**
     * Called by the trainer when training starts, after the output folder is ready: an adapter may write files of its
     * own there (PiSSA writes its initial adapter to {@code pissa_init/} when {@code pissa_convert} is on).
     *
     * @param resumed whether the run continues from a checkpoint
     */
    default void beforeTraining(Path outputDir, String baseModelNameOrPath, MethodSettings method, boolean resumed)
            throws IOException {
    }

    /**
     * Called by the trainer after the final adapter was saved (PiSSA with {@code pissa_convert} writes
     * {@code pissa_backup/} and {@code pissa_converted/}).
     */
    default void afterTraining(Path outputDir, String baseModelNameOrPath, MethodSettings method) throws IOException {
    }
}
