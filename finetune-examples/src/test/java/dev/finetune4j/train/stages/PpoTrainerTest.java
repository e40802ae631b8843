package dev.finetune4j.train.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.FineTuner;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.config.Stage;
import dev.finetune4j.reward.ValueHead;
import dev.finetune4j.train.report.TrainerLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9: a reward model trained on dpo_en_demo drives a short LoRA PPO run on dpo_en_demo's prompts, which
 * completes and logs its rewards.
 */
class PpoTrainerTest {
    @TempDir
    Path tmp;

    @Test
    void aShortRunWithTheRewardModelCompletesAndLogsRewards() throws Exception {
        Path model = PreferenceFixtures.writeModel(tmp.resolve("model"));
        Path rm = tmp.resolve("rm");
        RewardModelTrainerTest.train(model, rm);
        Path out = tmp.resolve("ppo");
        FineTuner.builder()
                .model(model).datasetDir(PreferenceFixtures.datasetDir()).dataset("dpo_en_demo")
                .template("qwen").stage(Stage.PPO)
                .configure(c -> c.maxSamples(8).rewardModel(rm).ppoEpochs(2).maxNewTokens(12).ppoScoreNorm(true))
                .cutoffLen(64)
                .lora(8, 16, 0.0)
                .learningRate(1e-3).maxSteps(4).batchSize(2).gradientAccumulation(2)
                .scheduler(SchedulerType.CONSTANT)
                .loggingSteps(1).seed(42).outputDir(out)
                .train();
        List<JsonNode> log = new TrainerLog(out).read();
        assertEquals(4, log.size());
        for (JsonNode line : log) {
            for (String key : List.of("loss", "reward", "objective/kl", "objective/kl_coef", "ppo/loss/policy",
                    "ppo/loss/value", "tokens/responses_len_mean")) {
                assertTrue(line.has(key) && Double.isFinite(line.get(key).asDouble()), key + " in " + line);
            }
            double len = line.get("tokens/responses_len_mean").asDouble();
            assertTrue(len >= 1 && len <= 12, line.toString());
        }
        // the first rollout samples from the untrained policy: its KL to the reference is 0
        assertEquals(0.0, log.get(0).get("objective/kl").asDouble(), 1e-4);
        assertEquals(0.2, log.get(0).get("objective/kl_coef").asDouble(), 1e-12);
        assertTrue(log.get(3).get("objective/kl").asDouble() != 0, "the policy moved: " + log.get(3));
        System.out.println("ppo rewards: " + log.stream().map(n -> n.get("reward").asText()).toList());
        assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve(ValueHead.FILE_NAME)), "the critic is saved with the adapter");
    }

    @Test
    void aRewardModelFolderWithoutAValueHeadIsNamed() throws Exception {
        Path model = PreferenceFixtures.writeModel(tmp.resolve("model"));
        Path notRm = Files.createDirectories(tmp.resolve("not-rm"));
        FineTuneException e = assertThrows(FineTuneException.class, () -> FineTuner.builder()
                .model(model).datasetDir(PreferenceFixtures.datasetDir()).dataset("dpo_en_demo").template("qwen")
                .stage(Stage.PPO).configure(c -> c.maxSamples(2).rewardModel(notRm).maxNewTokens(4))
                .lora(8, 16, 0.0).maxSteps(1).batchSize(2).outputDir(tmp.resolve("out")).train());
        assertEquals("reward_model " + notRm + " has no value_head.safetensors: it is not a reward model folder "
                + "(train one with stage: rm)", e.getMessage());
    }
}
