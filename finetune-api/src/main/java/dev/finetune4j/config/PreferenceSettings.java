package dev.finetune4j.config;

import java.nio.file.Path;

/** Settings of the preference stages (rm, dpo, kto, ppo), with LLaMA-Factory's names and defaults. */
public record PreferenceSettings(double prefBeta, double prefFtx, PreferenceLoss prefLoss, double dpoLabelSmoothing,
                                 double simpoGamma, double ktoChosenWeight, double ktoRejectedWeight,
                                 Path refModel, Path rewardModel, int ppoBufferSize, int ppoEpochs,
                                 boolean ppoScoreNorm, double ppoTarget, boolean ppoWhitenRewards) {
}
