package dev.finetune4j.train;

import java.nio.file.Path;

/**
 * Receives progress events of a training run (a progress bar, a dashboard, a test). Every method has an empty
 * default; the trainer calls them on its own thread, so keep them quick.
 */
public interface TrainingListener {

    /** Before the first step: how long the run is. */
    default void onTrainBegin(TrainingPlan plan) {
    }

    /** After every optimizer step (not only logged ones): the step's own loss and learning rate. */
    default void onStep(long step, long totalSteps, double loss, double lr, long totalTokens) {
    }

    /** When a line is written to {@code trainer_log.jsonl} (training or evaluation). */
    default void onLog(StepLog log) {
    }

    /** After a checkpoint folder was written completely. */
    default void onCheckpoint(long step, Path checkpointDir) {
    }

    /** After training ended and the final files were written. */
    default void onTrainEnd(TrainingSummary summary) {
    }

    /** What a run will do, known before its first step. */
    record TrainingPlan(long totalSteps, double epochs, int trainExamples, int evalExamples, long trainableParameters,
                        long totalParameters, long startStep) {
    }
}
