package dev.finetune4j.config;

import java.nio.file.Path;

/**
 * The optimisation loop, with HuggingFace Trainer names and defaults.
 *
 * @param maxSteps        total optimizer steps if positive (overrides epochs), else -1
 * @param maxGradNorm     global-norm clipping; 0 disables it (as in HF)
 * @param saveTotalLimit  keep at most this many {@code checkpoint-N} folders, or null for all
 * @param evalStrategy    {@code no}, {@code steps} or {@code epoch}
 */
public record TrainingSettings(Path outputDir, boolean overwriteOutputDir, int perDeviceTrainBatchSize,
                               int perDeviceEvalBatchSize, int gradientAccumulationSteps, double learningRate,
                               double numTrainEpochs, int maxSteps, SchedulerType lrSchedulerType,
                               double warmupRatio, int warmupSteps, double weightDecay, double adamBeta1,
                               double adamBeta2, double adamEpsilon, double maxGradNorm, long seed,
                               boolean disableShuffling, int loggingSteps, int saveSteps, Integer saveTotalLimit,
                               boolean saveOnlyModel, String evalStrategy, int evalSteps,
                               Path resumeFromCheckpoint, boolean plotLoss) {
}
