package dev.finetune4j.train.stages;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.FineTuner;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Message;
import dev.finetune4j.encoding.EncodedPair;
import dev.finetune4j.reward.RewardModel;
import dev.finetune4j.reward.ValueHead;
import dev.finetune4j.train.report.TrainerLog;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9: a LoRA reward model of the tiny model trained on 16 pairs of dpo_en_demo, loaded again with
 * {@link RewardModel#load}, scores the chosen answer above the rejected one on most of them.
 */
class RewardModelTrainerTest {
    static final int PAIRS = 16;

    @TempDir
    Path tmp;

    @Test
    void scoresChosenAboveRejectedAfterLoadingAgain() throws Exception {
        Path model = PreferenceFixtures.writeModel(tmp.resolve("model"));
        Path out = tmp.resolve("rm");
        train(model, out);

        List<JsonNode> log = new TrainerLog(out).read();
        assertTrue(log.get(0).has("accuracy"), log.get(0).toString());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve(ValueHead.FILE_NAME))) {
            assertEquals(Set.of(ValueHead.WEIGHT, ValueHead.BIAS), f.tensors().keySet());
            assertArrayEquals(new long[] {1, 128}, f.info(ValueHead.WEIGHT).shape());
            assertArrayEquals(new long[] {1}, f.info(ValueHead.BIAS).shape());
        }
        List<EncodedPair> pairs = PreferenceFixtures.pairs(model, PAIRS);
        try (RewardModel rm = RewardModel.load(model, out, "qwen")) {
            int correct = 0;
            for (EncodedPair p : pairs) {
                if (rm.score(p.chosen().inputIds()) > rm.score(p.rejected().inputIds())) {
                    correct++;
                }
            }
            System.out.printf("rm: %d of %d pairs scored chosen > rejected after training%n", correct, PAIRS);
            assertTrue(correct >= 0.75 * PAIRS, correct + " of " + PAIRS);
            // a conversation is scored as its encoded prompt and answer
            Conversation c = Conversation.of(List.of(Message.user("Hi"), Message.assistant("Hello!")));
            int[] ids = rm.template().encodeOneTurn(rm.tokenizer(), c).prompt();
            double s = rm.score(c);
            assertTrue(Double.isFinite(s));
            assertTrue(ids.length > 0);
        }
    }

    /** Trains the tiny reward model of the PPO test too. */
    static void train(Path model, Path out) {
        FineTuner.builder()
                .model(model).datasetDir(PreferenceFixtures.datasetDir()).dataset("dpo_en_demo")
                .template("qwen").stage(Stage.RM)
                .configure(c -> c.maxSamples(PAIRS))
                .cutoffLen(PreferenceFixtures.CUTOFF)
                .lora(8, 16, 0.0)
                .learningRate(3e-3).epochs(10).batchSize(8).scheduler(SchedulerType.CONSTANT)
                .loggingSteps(1).seed(42).outputDir(out)
                .train();
    }
}
