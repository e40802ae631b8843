package dev.finetune4j.train.data;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetSource;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.KtoExample;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.data.TextDocument;
import java.io.IOException;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Which kind of {@link Example} each stage trains on, checked on a dataset's first example before anything is
 * encoded, so that a mismatch (a conversation dataset for stage dpo, say) is one clear line instead of "no valid
 * examples". {@code pt}: text (or conversations, whose first message is the text); {@code sft}: conversations;
 * {@code rm}, {@code dpo}: preference pairs; {@code kto}: examples tagged desirable or not; {@code ppo}: prompts
 * (conversations or preference pairs, whose answers are ignored).
 */
public final class StageExamples {
    private StageExamples() {
    }

    /** Fails with a message naming the stage, the dataset and what it needs when the first example is the wrong kind. */
    public static void check(Stage stage, DatasetSource source) throws IOException {
        Optional<Example> first;
        try (Stream<Example> s = source.open()) {
            first = s.findFirst();
        }
        if (first.isEmpty() || accepts(stage, first.get())) {
            return;
        }
        String has = source.description() + " holds " + kind(first.get());
        throw new FineTuneException(switch (stage) {
            case RM, DPO -> "stage " + stage.yamlName() + " trains on preference pairs, but " + has + ": use a dataset"
                    + " with \"ranking\": true and chosen/rejected columns in dataset_info.json (e.g. dpo_en_demo)";
            case KTO -> "stage kto trains on answers tagged desirable or undesirable, but " + has + ": use a dataset"
                    + " with a kto_tag column in dataset_info.json (e.g. kto_en_demo)";
            case SFT -> "stage sft trains on conversations, but " + has + ": use stage "
                    + (first.get() instanceof KtoExample ? "kto" : "dpo or rm") + ", or a conversation dataset";
            case PT -> "stage pt trains on text, but " + has;
            case PPO -> "stage ppo needs prompts (conversations), but " + has;
        });
    }

    static boolean accepts(Stage stage, Example e) {
        return switch (stage) {
            case PT -> e instanceof TextDocument || e instanceof Conversation;
            case SFT -> e instanceof Conversation;
            case RM, DPO -> e instanceof PreferenceExample;
            case KTO -> e instanceof KtoExample;
            case PPO -> e instanceof Conversation || e instanceof PreferenceExample;
        };
    }

    static String kind(Example e) {
        if (e instanceof Conversation) {
            return "conversations";
        }
        if (e instanceof PreferenceExample) {
            return "preference pairs (chosen/rejected)";
        }
        if (e instanceof KtoExample) {
            return "KTO examples (kto_tag)";
        }
        return "plain text";
    }
}
