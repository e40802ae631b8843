package dev.finetune4j.train;

import java.nio.file.Path;

/**
 * The end of a run, what {@code train_results.json} holds (HuggingFace's keys) and what the command line prints.
 *
 * @param trainLoss       mean of all step losses of this run (HF {@code train_loss})
 * @param peakRssBytes    peak resident memory of the process, or -1 where unknown
 */
public record TrainingSummary(Path outputDir, long globalSteps, double epochs, double trainRuntimeSeconds,
                              double trainLoss, Double finalEvalLoss, long trainSamples, long totalTokens,
                              long peakRssBytes) {

    public double samplesPerSecond() {
        return trainRuntimeSeconds <= 0 ? 0 : trainSamples / trainRuntimeSeconds;
    }

    public double stepsPerSecond() {
        return trainRuntimeSeconds <= 0 ? 0 : globalSteps / trainRuntimeSeconds;
    }

    public double tokensPerSecond() {
        return trainRuntimeSeconds <= 0 ? 0 : totalTokens / trainRuntimeSeconds;
    }
}
