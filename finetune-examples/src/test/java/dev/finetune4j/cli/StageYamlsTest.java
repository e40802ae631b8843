package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.testing.SharedFixtures;
import dev.finetune4j.train.report.TrainerLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9: each preference stage's example YAML ({@code examples/tiny_*.yaml}) finishes from the command line on the
 * quickstart's tiny model and LLaMA-Factory's demo data (fewer samples and steps here), and logs its stage's metrics.
 */
class StageYamlsTest {
    @TempDir
    static Path shared;
    static Path model;
    static Path datasetDir;

    @TempDir
    Path tmp;

    @BeforeAll
    static void tinyModel() throws Exception {
        datasetDir = SharedFixtures.require("data/llamafactory/dataset_info.json").getParent();
        model = shared.resolve("model");
        QuickstartModel.write(model, Files.readString(Path.of("../examples/customer-service.jsonl")));
    }

    /** Runs {@code examples/tiny_NAME.yaml} on this test's model, data and output folder, and returns its log. */
    private List<JsonNode> train(String name, Path out, String... overrides) throws Exception {
        List<String> args = new ArrayList<>(List.of("train", "../examples/tiny_" + name + ".yaml",
                "model_name_or_path=" + model, "dataset_dir=" + datasetDir, "output_dir=" + out));
        args.addAll(List.of(overrides));
        CliTestSupport.Result r = CliTestSupport.run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("model " + model + ", stage "), r.out());
        assertTrue(r.out().contains("\ndone: "), r.out());
        return new TrainerLog(out).read();
    }

    @Test
    void dpoOrpoAndSimpo() throws Exception {
        for (String name : List.of("dpo", "orpo", "simpo")) {
            List<JsonNode> log = train(name, tmp.resolve(name), "max_samples=8", "num_train_epochs=4");
            assertEquals(4, log.size(), name + ": 8 steps logged every 2");
            JsonNode last = log.get(log.size() - 1);
            for (String key : List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
                    "logps/chosen", "logps/rejected")) {
                assertTrue(last.has(key), name + ": " + key + " in " + last);
            }
            assertTrue(last.get("rewards/accuracies").asDouble() > 0.5, name + ": " + last);
        }
    }

    @Test
    void kto() throws Exception {
        List<JsonNode> log = train("kto", tmp.resolve("kto"), "max_samples=8", "num_train_epochs=4");
        JsonNode last = log.get(log.size() - 1);
        for (String key : List.of("rewards/chosen", "rewards/rejected", "rewards/margins", "kl")) {
            assertTrue(last.has(key), key + " in " + last);
        }
        assertTrue(last.get("rewards/margins").asDouble() > 0, last.toString());
    }

    @Test
    void rewardModelThenPpo() throws Exception {
        Path rm = tmp.resolve("rm");
        List<JsonNode> rmLog = train("rm", rm, "max_samples=8", "num_train_epochs=4");
        assertTrue(rmLog.get(rmLog.size() - 1).has("accuracy"), rmLog.toString());
        assertTrue(Files.isRegularFile(rm.resolve("value_head.safetensors")));

        List<JsonNode> log = train("ppo", tmp.resolve("ppo"), "reward_model=" + rm, "max_samples=8",
                "max_new_tokens=8", "ppo_epochs=2");
        assertEquals(1, log.size(), "8 prompts, 4 per rollout: 2 steps, logged every 2");
        for (String key : List.of("loss", "reward", "objective/kl", "objective/kl_coef")) {
            assertTrue(log.get(0).has(key), key + " in " + log.get(0));
        }
    }
}
