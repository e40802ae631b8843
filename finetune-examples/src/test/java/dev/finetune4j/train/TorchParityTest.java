package dev.finetune4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.FineTuner;
import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.adapters.lora.LoraAdapter;
import dev.finetune4j.adapters.lora.LoraConfig;
import dev.finetune4j.adapters.lora.LoraInit;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.Batch;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.encoding.TokenizedJsonl;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.tiny.TinyModelWriter;
import dev.finetune4j.train.report.TrainerLog;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Issue 5's parity check with PyTorch: tiny qwen2, stage pt on a fixed text, LoRA rank 8 on all seven projections,
 * dropout 0, starting from a given adapter (B nonzero), constant LR 1e-3, batch 1, 5 AdamW steps, no clipping, no
 * weight decay. Every logged loss must equal {@code ../shared/tools/torchref/golden.py} within 1e-4 relative, and the
 * adapter this run saves, loaded by the reference, gives this run's final loss. The golden numbers and the command that
 * made them are in {@code src/test/resources/torch-parity/}.
 */
class TorchParityTest {
    static final int[] TOKENS = {1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61, 65, 69, 73, 77, 81, 85,
        89, 93, 97, 101, 105, 109, 113, 117, 121, 125};

    static Path writeModel(Path dir) throws IOException {
        ModelConfig arch = ModelConfig.builder("qwen2").hidden(64).layers(2).heads(4).kvHeads(2).intermediate(128)
                .vocab(512).build();
        TinyModelWriter.of(arch).seed(11).std(0.2).write(dir);
        return dir;
    }

    static Path resource(String name) throws URISyntaxException {
        return Path.of(TorchParityTest.class.getResource("/torch-parity/" + name).toURI());
    }

    @Test
    void fiveAdamWStepsEqualThePyTorchReference(@TempDir Path dir) throws Exception {
        Path model = writeModel(dir.resolve("model"));
        Path tokens = dir.resolve("text.jsonl");
        TokenizedJsonl.write(tokens, List.of(new EncodedExample(TOKENS, TOKENS)));
        Path out = dir.resolve("out");
        List<Double> stepLosses = new java.util.ArrayList<>();
        FineTuner.builder()
                .listener(new TrainingListener() {
                    @Override
                    public void onStep(long step, long totalSteps, double loss, double lr, long tokens) {
                        stepLosses.add(loss);
                    }
                })
                .model(model)
                .adapterNameOrPath(resource("init_adapter"))
                .configure(c -> c.tokenizedPath(tokens).stage(Stage.PT).loraTarget(List.of("all")))
                .lora(8, 16, 0.0)
                .learningRate(1e-3).maxSteps(5).batchSize(1)
                .scheduler(SchedulerType.CONSTANT).maxGradNorm(0).weightDecay(0)
                .loggingSteps(1)
                .outputDir(out)
                .train();

        JsonNode golden = new ObjectMapper().readTree(resource("golden.json").toFile());
        List<JsonNode> log = new TrainerLog(out).read();
        assertEquals(5, log.size());
        for (int k = 0; k < 5; k++) {
            double expected = golden.at("/train/steps/" + k + "/loss_before").asDouble();
            assertEquals(expected, stepLosses.get(k), 1e-4 * expected, "loss of step " + (k + 1));
            // trainer_log.jsonl rounds to 4 decimals, as HuggingFace logs
            assertEquals(Math.round(expected * 1e4) / 1e4, log.get(k).get("loss").asDouble(), 1.01e-4,
                    "logged loss of step " + (k + 1));
        }

        String fixtureDir = System.getProperty("finetune4j.fixtureDir");
        if (fixtureDir != null) { // keep the trained adapter for the reference run that makes golden_trained_adapter.json
            Path keep = Path.of(fixtureDir, "trained_adapter");
            Files.createDirectories(keep);
            for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) {
                Files.copy(out.resolve(f), keep.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        // the unrounded final loss: the saved adapter on the base model, in Java and in the reference
        double finalLoss = loss(model, out);
        assertEquals(golden.at("/train/final_loss").asDouble(), finalLoss, 1e-4 * finalLoss, "after 5 steps");
        JsonNode reloaded = new ObjectMapper().readTree(resource("golden_trained_adapter.json").toFile());
        assertEquals(reloaded.at("/lora/loss").asDouble(), finalLoss, 1e-4 * finalLoss,
                "the reference, loading the adapter this run saved, gives the same loss");
    }

    static double loss(Path model, Path adapterDir) throws IOException {
        try (CausalLM m = CausalLM.load(model, ModelOptions.defaults())) {
            Adapter a = Adapters.load(adapterDir, false, 0);
            a.apply(m);
            int n = TOKENS.length;
            Batch b = new Batch(Nd4j.createFromArray(new int[][] {TOKENS}), Nd4j.createFromArray(new int[][] {TOKENS}),
                    Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.INT32, 1, n),
                    Nd4j.createFromArray(new int[][] {java.util.stream.IntStream.range(0, n).toArray()}));
            return m.loss(b).loss();
        }
    }

    /**
     * Writes the fixture: the tiny model and the initial adapter (init_lora_weights false: A and B random). Runs only
     * with {@code -Dfinetune4j.fixtureDir=DIR}; see the README next to the golden files.
     */
    @Test
    void writeFixture() throws IOException {
        String target = System.getProperty("finetune4j.fixtureDir");
        assumeTrue(target != null, "writes the parity fixture only with -Dfinetune4j.fixtureDir=DIR");
        Path dir = Path.of(target);
        Path model = writeModel(dir.resolve("model"));
        try (CausalLM m = CausalLM.load(model, ModelOptions.defaults())) {
            LoraAdapter lora = LoraAdapter.create(LoraConfig.of(8, 16, 0, "all").withInit(LoraInit.RANDOM), 5);
            lora.apply(m);
            lora.save(dir.resolve("init_adapter"), "tiny-qwen2");
        }
        Files.createDirectories(dir.resolve("out"));
    }
}
