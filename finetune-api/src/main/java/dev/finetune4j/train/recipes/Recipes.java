package dev.finetune4j.train.recipes;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.Stage;
import dev.finetune4j.train.Trainer;

/** The built-in recipe of each stage. */
public final class Recipes {
    private Recipes() {
    }

    public static Trainer forStage(Stage stage) {
        return switch (stage) {
            case PT, SFT -> new LanguageModelingTrainer();
            default -> throw new FineTuneException("stage " + stage.yamlName() + " is not supported yet: use pt or sft");
        };
    }
}
