package dev.finetune4j.train.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.FineTuner;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.config.Stage;
import dev.finetune4j.encoding.EncodedKto;
import dev.finetune4j.train.report.TrainerLog;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9: a LoRA KTO run of the tiny model on 16 examples of kto_en_demo (9 desirable, 7 not) moves most
 * rewards to the side of their tag, measured outside the trainer; the log has LLaMA-Factory's KTO metrics.
 */
class KtoTrainerTest {
    static final int EXAMPLES = 16;

    @TempDir
    static Path shared;
    static Path model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void tinyModel() throws Exception {
        model = PreferenceFixtures.writeModel(shared.resolve("model"));
    }

    @Test
    void rewardsTakeTheSignOfTheirTags() throws Exception {
        List<EncodedKto> examples = PreferenceFixtures.ktoExamples(model, EXAMPLES);
        assertEquals(EXAMPLES, examples.size());
        assertEquals(9, examples.stream().filter(EncodedKto::desirable).count());
        Path out = tmp.resolve("out");
        FineTuner.builder()
                .model(model).datasetDir(PreferenceFixtures.datasetDir()).dataset("kto_en_demo")
                .template("qwen").stage(Stage.KTO)
                .configure(c -> c.maxSamples(EXAMPLES).ktoRejectedWeight(9.0 / 7))
                .cutoffLen(PreferenceFixtures.CUTOFF)
                .lora(8, 16, 0.0)
                .learningRate(5e-3).epochs(6).batchSize(8).scheduler(SchedulerType.CONSTANT)
                .loggingSteps(1).seed(42).outputDir(out)
                .train();
        double after = PreferenceFixtures.ktoAccuracy(model, out, examples);
        List<JsonNode> log = new TrainerLog(out).read();
        assertEquals(12, log.size());
        for (String key : List.of("rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen",
                "logps/rejected", "kl")) {
            assertTrue(log.get(0).has(key), key + " in " + log.get(0));
        }
        JsonNode first = log.get(0);
        JsonNode last = log.get(log.size() - 1);
        assertEquals(0.0, first.get("rewards/margins").asDouble(), 1e-6, "policy = reference at the start");
        double loss0 = first.get("loss").asDouble(); // every row's 1 − σ(0) = 0.5, weighted 1 or 9/7
        assertTrue(loss0 >= 0.5 - 1e-4 && loss0 <= 0.5 * 9 / 7 + 1e-4, first.toString());
        System.out.printf("kto: accuracy 0 -> %.2f, loss %.4f -> %.4f, margins %.4f -> %.4f%n", after,
                first.get("loss").asDouble(), last.get("loss").asDouble(), first.get("rewards/margins").asDouble(),
                last.get("rewards/margins").asDouble());
        assertTrue(after >= 0.75, "accuracy " + after);
        assertTrue(last.get("rewards/margins").asDouble() > 0, last.toString());
    }

    @Test
    void pairsForStageKtoAreOneClearError() {
        FineTuneException e = assertThrows(FineTuneException.class, () -> FineTuner.builder()
                .model(model).datasetDir(PreferenceFixtures.datasetDir()).dataset("dpo_en_demo").template("qwen")
                .stage(Stage.KTO).outputDir(tmp.resolve("out")).train());
        assertTrue(e.getMessage().startsWith("stage kto trains on answers tagged desirable or undesirable, but "
                + "dpo_en_demo ("), e.getMessage());
    }
}
