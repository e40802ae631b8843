package dev.finetune4j;

import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.train.TrainingSummary;
import java.nio.file.Path;

/**
 * What {@link FineTuner.Builder#train()} produced: the output folder (a PEFT adapter, or a full checkpoint for
 * {@code full} fine-tuning, with {@code trainer_log.jsonl}, {@code train_results.json} and {@code training_loss.png}),
 * the run's summary and the settings it ran with.
 */
public record FineTuneResult(Path outputDir, TrainingSummary summary, FineTuneConfig config) {

    /** The folder to pass as {@code --adapter} to {@code chat}, {@code ppl} and {@code export} (LoRA runs). */
    public Path adapterDir() {
        return outputDir;
    }

    public double trainLoss() {
        return summary.trainLoss();
    }
}
