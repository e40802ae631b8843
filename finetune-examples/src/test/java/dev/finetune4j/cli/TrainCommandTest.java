package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.config.LlamaFactoryArgs;
import dev.finetune4j.cuda.CudaDeviceSupport;
import dev.finetune4j.cuda.CudaStatus;
import dev.finetune4j.train.report.TrainerLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code finetune train} as a user runs it: a LLaMA-Factory YAML (the shape of examples/tiny_lora_sft.yaml) trains
 * the quickstart's tiny model; each mistake is one line on stderr, exit 1, naming the key, folder or line.
 */
class TrainCommandTest {
    @TempDir
    static Path shared;
    static Path model;
    static Path datasetDir;

    @TempDir
    Path tmp;

    @BeforeAll
    static void tinyModelAndData() throws Exception {
        Path data = Path.of("../examples/customer-service.jsonl"); // committed: no ../shared needed
        model = shared.resolve("model");
        QuickstartModel.write(model, Files.readString(data));
        datasetDir = shared.resolve("data");
        Files.createDirectories(datasetDir);
        Files.copy(data, datasetDir.resolve("customer-service.jsonl"));
        Files.copy(Path.of("../examples/dataset_info.json"), datasetDir.resolve("dataset_info.json"));
    }

    /** examples/tiny_lora_sft.yaml with the model, data and output folders of this test. */
    private Path yaml(String... replacements) throws Exception {
        String text = Files.readString(Path.of("../examples/tiny_lora_sft.yaml"))
                .replace("model_name_or_path: quickstart-output/model", "model_name_or_path: " + model)
                .replace("dataset_dir: examples", "dataset_dir: " + datasetDir)
                .replace("output_dir: saves/tiny/lora/sft", "output_dir: " + tmp.resolve("out"));
        for (int i = 0; i < replacements.length; i += 2) {
            assertTrue(text.contains(replacements[i]), replacements[i]);
            text = text.replace(replacements[i], replacements[i + 1]);
        }
        Path f = tmp.resolve("train.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void trainsWithTheYamlAndCommandLineOverrides() throws Exception {
        Path f = yaml();
        CliTestSupport.Result r = CliTestSupport.run("train", f.toString(), "max_steps=6", "save_steps=3",
                "logging_steps=2");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("model " + model + ", stage sft, lora: encoding the data and loading the model...", lines.get(0));
        assertEquals("training 6 steps (2 epochs) on 12 examples; 65.5K of 459.9K parameters train", lines.get(1));
        for (int step = 1; step <= 6; step++) {
            assertTrue(lines.get(1 + step).startsWith("step " + step + "/6 ("), lines.get(1 + step));
            assertTrue(lines.get(1 + step).contains("  lr 5.00e-03  "), lines.get(1 + step));
        }
        assertTrue(lines.get(8).startsWith("done: 6 steps in 0:00:"), lines.get(8));
        Path out = tmp.resolve("out");
        assertTrue(lines.get(9).startsWith("wrote " + out + ": adapter_config.json ("), lines.get(9));
        assertTrue(lines.get(9).contains("checkpoint-3/, "), lines.get(9));
        assertEquals(10, lines.size(), r.out());

        // the YAML's settings reached the run: rank 16, alpha 32, constant lr 5e-3, logging every 2 steps
        JsonNode adapter = new ObjectMapper().readTree(out.resolve("adapter_config.json").toFile());
        assertEquals(16, adapter.get("r").asInt());
        assertEquals(32, adapter.get("lora_alpha").asInt());
        List<JsonNode> log = new TrainerLog(out).read();
        assertEquals(List.of(2, 4, 6), log.stream().map(n -> n.get("current_steps").asInt()).toList());
        log.forEach(n -> assertEquals(5e-3, n.get("lr").asDouble(), 1e-12));
        // and the summary's first/last losses are the steps' own
        double first = Double.parseDouble(lines.get(8).replaceAll(".*loss ([0-9.]+) -> .*", "$1"));
        assertTrue(first > 5, "a random tiny model starts near ln(768) = 6.6: " + first);
    }

    @Test
    void aMisspeltKeyNamesTheRightOne() throws Exception {
        Path f = yaml("lora_rank: 16", "lora_rnak: 16");
        CliTestSupport.Result r = CliTestSupport.run("train", f.toString());
        assertEquals(1, r.exitCode());
        assertEquals("finetune: " + f + ": unknown key 'lora_rnak' (did you mean 'lora_rank'?)\n", r.err());
        assertEquals("", r.out());
        // the same on the command line
        r = CliTestSupport.run("train", yaml().toString(), "learning_rte=1e-4");
        assertEquals("finetune: command line: unknown key 'learning_rte' (did you mean 'learning_rate'?)\n", r.err());
    }

    @Test
    void aKnownButUnsupportedKeySaysSo() throws Exception {
        CliTestSupport.Result r = CliTestSupport.run("train", yaml().toString(), "use_galore=true");
        assertEquals(1, r.exitCode());
        assertEquals("finetune: command line: use_galore is a LLaMA-Factory option that finetune4j does not support"
                + " yet (remove it to continue)\n", r.err());
    }

    @Test
    void aMissingModelFolderIsNamed() throws Exception {
        Path missing = tmp.resolve("models/nothing-here");
        CliTestSupport.Result r = CliTestSupport.run("train", yaml().toString(), "model_name_or_path=" + missing);
        assertEquals(1, r.exitCode());
        assertEquals("finetune: model folder " + missing + " does not exist: download the checkpoint there first"
                + " (README: \"Use a real model\") or set model_name_or_path to a HuggingFace checkpoint folder\n",
                r.err());
        r = CliTestSupport.run("train", yaml().toString(), "model_name_or_path=" + tmp);
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("finetune: model folder " + tmp + " has no config.json"), r.err());
        assertEquals(1, r.err().lines().count());
    }

    @Test
    void aHubIdSaysHowToDownloadIt() throws Exception {
        CliTestSupport.Result r = CliTestSupport.run("train", yaml().toString(),
                "model_name_or_path=Qwen/Qwen2.5-0.5B-Instruct");
        assertEquals(1, r.exitCode());
        assertEquals("finetune: model_name_or_path 'Qwen/Qwen2.5-0.5B-Instruct' is a HuggingFace hub id and there is"
                + " no such folder; finetune4j does not download models: run `huggingface-cli download"
                + " Qwen/Qwen2.5-0.5B-Instruct --local-dir models/Qwen2.5-0.5B-Instruct` and set model_name_or_path:"
                + " models/Qwen2.5-0.5B-Instruct (README: \"Use a real model\")\n", r.err());
    }

    @Test
    void aBadDatasetLineNamesFileAndLine() throws Exception {
        Path dir = tmp.resolve("bad");
        Files.createDirectories(dir);
        Files.copy(datasetDir.resolve("dataset_info.json"), dir.resolve("dataset_info.json"));
        List<String> good = Files.readAllLines(datasetDir.resolve("customer-service.jsonl"));
        Path data = dir.resolve("customer-service.jsonl");
        Files.write(data, List.of(good.get(0), good.get(1), "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}",
                good.get(2)));
        CliTestSupport.Result r = CliTestSupport.run("train", yaml().toString(), "dataset_dir=" + dir);
        assertEquals(1, r.exitCode());
        assertEquals("finetune: " + data + ":3: column 47, record 3: JSON syntax error: Unexpected end-of-input:"
                + " expected close marker for Array (start marker at column 14) [json-syntax]\n", r.err());

        // --skip-invalid drops it as LLaMA-Factory does, and trains on the rest
        r = CliTestSupport.run("train", yaml().toString(), "--skip-invalid", "dataset_dir=" + dir, "max_steps=1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("training 1 steps (1 epoch) on 3 examples"), r.out());
    }

    @Test
    void yamlSyntaxErrorsNameLineAndColumn() throws Exception {
        Path f = tmp.resolve("broken.yaml");
        Files.writeString(f, "stage: sft\nlora_rank: [8\nseed: 1\n");
        CliTestSupport.Result r = CliTestSupport.run("train", f.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("finetune: " + f + ":3:5: YAML syntax error: "), r.err());
        assertEquals(1, r.err().lines().count());
        Files.writeString(f, "# nothing\n");
        r = CliTestSupport.run("train", f.toString());
        assertTrue(r.err().startsWith("finetune: " + f + " is empty"), r.err());
        r = CliTestSupport.run("train", tmp.resolve("none.yaml").toString());
        assertEquals("finetune: no such file: " + tmp.resolve("none.yaml") + "\n", r.err());
        r = CliTestSupport.run("train", yaml().toString(), "learning_rate");
        assertEquals("finetune: override 'learning_rate' must look like key=value, e.g. learning_rate=1e-4\n", r.err());
    }

    @Test
    void deviceCudaWithoutTheBackendGivesTheOneLine() throws Exception {
        assumeTrue(CudaDeviceSupport.cudaStatus(false).state() == CudaStatus.State.NO_BACKEND, "built with -Pcuda");
        CliTestSupport.Result r = CliTestSupport.run("train", yaml().toString(), "device=cuda");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("finetune: device cuda:0: the ND4J CUDA backend is not on the classpath;"),
                r.err());
        assertEquals(1, r.err().lines().count());
    }

    /** Both example YAMLs read without an unknown or unsupported key, and their registry entry is valid. */
    @Test
    void theExampleYamlsAreValid() throws Exception {
        for (String name : List.of("tiny_lora_sft.yaml", "qwen2.5-0.5b_lora_sft.yaml")) {
            Path f = Path.of("../examples", name);
            Map<String, Object> keys = TrainingYaml.read(f);
            FineTuneConfig c = LlamaFactoryArgs.apply(keys, FineTuneConfig.builder(), f.toString()).build();
            assertEquals(List.of("customer_service"), c.data().datasets());
            assertEquals("qwen", c.data().template());
        }
        CliTestSupport.Result r = CliTestSupport.run("validate", "--dataset-dir", "../examples", "--dataset",
                "customer_service");
        assertEquals("12 records, 0 invalid\n", r.out(), r.err());
    }
}
