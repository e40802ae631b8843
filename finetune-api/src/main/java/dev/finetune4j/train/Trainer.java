package dev.finetune4j.train;

import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.config.Stage;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A training stage's recipe: what one optimizer step computes. The shared {@link TrainingLoop} does everything
 * else (epochs, accumulation windows, clipping, AdamW and the schedule, logging, evaluation, checkpoints, resume),
 * so a recipe is a short file that reads top to bottom: forward, loss, backward.
 *
 * <p>Built-in recipes are chosen by stage; a user's own recipe plugs in through {@code FineTuner.builder().trainer(...)}.
 */
public interface Trainer {

    /** The stages this recipe runs. */
    Set<Stage> stages();

    /**
     * Runs forward and backward over the micro-batches of one optimizer step, adding gradients into the trainable
     * parameters (the loop has zeroed them), and returns the step's loss.
     *
     * @param microBatches training row indices of each micro-batch of this step
     */
    StepResult step(TrainingRun run, List<int[]> microBatches);

    /**
     * Called once before training with the loaded model (its adapter applied): the parameters this recipe adds to
     * the model, which then train with the model's own, such as the reward model's value head. A resumed run
     * restores them from {@code resume_from_checkpoint}. Default: none.
     */
    default List<Parameter> addedParameters(FineTuneConfig config, CausalLM model) throws IOException {
        return List.of();
    }

    /** Writes the weights of {@link #addedParameters} into an output or checkpoint folder. Default: nothing. */
    default void saveAddedWeights(Path dir) throws IOException {
    }

    /**
     * {@link #step(TrainingRun, List)} for recipes that update the weights more than once per step (PPO: several
     * passes over one rollout). Each {@code update.apply()} turns the gradients accumulated so far into an optimizer
     * update; the loop applies whatever the recipe leaves accumulated at the end of the step as the step's last
     * update, as usual. The learning rate is the step's throughout. Default: {@link #step(TrainingRun, List)}.
     */
    default StepResult step(TrainingRun run, List<int[]> microBatches, OptimizerUpdate update) {
        return step(run, microBatches);
    }

    /** An optimizer update within a step: clip the gradients, AdamW at the step's learning rate, zero the gradients. */
    @FunctionalInterface
    interface OptimizerUpdate {
        /** @return the global gradient norm before clipping */
        double apply();
    }

    /** The mean evaluation loss over the run's evaluation rows (no gradients). */
    double evaluate(TrainingRun run);

    /**
     * What one step produced.
     *
     * @param loss    the step loss (what {@code trainer_log.jsonl} averages over a logging window)
     * @param tokens  input tokens the step processed (padding excluded), for throughput
     * @param metrics stage metrics for the log line (e.g. {@code rewards/accuracies}); may be empty
     */
    record StepResult(double loss, long tokens, Map<String, Double> metrics) {
        public StepResult {
            metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        }
    }
}
