package dev.finetune4j.train.recipes;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.Stage;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.loss.KtoSequences;
import dev.finetune4j.train.loss.PairedSequences;
import dev.finetune4j.train.loss.SequenceLoss;

/** The built-in recipe of each stage. */
public final class Recipes {
    private Recipes() {
    }

    public static Trainer forStage(Stage stage) {
        return forStage(stage, null, null);
    }

    /**
     * The built-in recipe of {@code stage}, with a user's sequence loss for stage dpo or kto (null: the configured
     * one). A loss given for another stage is an error: it would be silently ignored.
     */
    public static Trainer forStage(Stage stage, SequenceLoss<PairedSequences> preferenceLoss,
                                   SequenceLoss<KtoSequences> ktoLoss) {
        if (preferenceLoss != null && stage != Stage.DPO) {
            throw new FineTuneException("a preference loss (builder: preferenceLoss) is the loss of stage dpo, but "
                    + "this run is stage " + stage.yamlName());
        }
        if (ktoLoss != null && stage != Stage.KTO) {
            throw new FineTuneException("a KTO loss (builder: ktoLoss) is the loss of stage kto, but this run is stage "
                    + stage.yamlName());
        }
        return switch (stage) {
            case PT, SFT -> new LanguageModelingTrainer();
            case DPO -> new DpoTrainer(preferenceLoss);
            case KTO -> new KtoTrainer(ktoLoss);
            case RM -> new RewardModelTrainer();
            case PPO -> new PpoTrainer();
        };
    }
}
