package dev.finetune4j.train.recipes;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.train.TrainingRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The frozen model a preference loss compares the policy with (DPO, IPO, hinge, KTO, PPO's KL penalty), run
 * without gradient. Chosen as LLaMA-Factory does:
 * <ul>
 *   <li>{@code ref_model} set: that model folder, loaded once, every parameter frozen;</li>
 *   <li>otherwise, with an adapter (LoRA): the policy itself with its adapter switched off for the reference
 *       forward — the base model, no second copy in memory;</li>
 *   <li>otherwise (full or freeze fine-tuning): a frozen copy of the initial model, loaded again from
 *       {@code model_name_or_path} (LLaMA-Factory's {@code create_ref_model}); this doubles the weights in memory,
 *       so set {@code ref_model} to a smaller model, or train with LoRA, where memory is tight.</li>
 * </ul>
 */
public final class ReferenceModel {
    private final CausalLM model;
    private final Adapter switchedOff;
    private final String description;

    private ReferenceModel(CausalLM model, Adapter switchedOff, String description) {
        this.model = model;
        this.switchedOff = switchedOff;
        this.description = description;
    }

    /** The reference of {@code run}, as the class comment describes. */
    public static ReferenceModel of(TrainingRun run) {
        Path ref = run.config().preference().refModel();
        if (ref == null && run.adapter() != null) {
            return new ReferenceModel(run.model(), run.adapter(), "the base model (adapter switched off)");
        }
        Path dir = ref != null ? ref : run.config().model().modelNameOrPath();
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new FineTuneException("ref_model " + dir + " is not a model folder (no config.json)");
        }
        try {
            CausalLM m = CausalLM.load(dir, run.model().options().withActivationCheckpointing(false));
            if (m.config().vocabSize() != run.model().config().vocabSize()) {
                throw new FineTuneException("ref_model " + dir + " has a vocabulary of " + m.config().vocabSize()
                        + " tokens but the trained model has " + run.model().config().vocabSize()
                        + ": the reference must share the tokenizer");
            }
            return new ReferenceModel(m, null, "a frozen copy of " + dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A reference that is a separate, frozen model (tests, custom recipes). */
    public static ReferenceModel of(CausalLM frozen) {
        return new ReferenceModel(frozen, null, "a separate model");
    }

    /** Per-row label log-prob sums of {@code batch} under the reference, without gradient. */
    public double[] sums(Batch batch) {
        if (switchedOff == null) {
            return SequenceLogProbPass.sums(model, batch);
        }
        switchedOff.setEnabled(false);
        try {
            return SequenceLogProbPass.sums(model, batch);
        } finally {
            switchedOff.setEnabled(true);
        }
    }

    /** The reference model (for a LoRA run: the policy, whose adapter this class switches off around each use). */
    public CausalLM model() {
        return model;
    }

    /** The adapter switched off for reference passes, or null when the reference is a separate model. */
    public Adapter switchedOffAdapter() {
        return switchedOff;
    }

    @Override
    public String toString() {
        return description;
    }
}
