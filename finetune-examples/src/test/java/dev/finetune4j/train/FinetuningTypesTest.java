package dev.finetune4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.FineTuner;
import dev.finetune4j.checkpoint.SafetensorsCheckpoint;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.config.FinetuningType;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.train.optim.AdamW;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Issue 8: freeze and full fine-tuning change exactly the chosen parameters, and only those get optimizer state. */
class FinetuningTypesTest {

    private static Path train(Path model, Path out, FinetuningType type,
                              Consumer<dev.finetune4j.config.FineTuneConfig.Builder> settings) {
        FineTuner.builder()
                .model(model)
                .dataset(Datasets.siliconFlow(TinyCustomerService.data()))
                .template("qwen")
                .finetuningType(type)
                .configure(settings)
                .learningRate(1e-3).maxSteps(3).batchSize(4).saveSteps(2)
                .scheduler(SchedulerType.CONSTANT)
                .cutoffLen(128).seed(3)
                .outputDir(out)
                .train();
        return out;
    }

    /** The names of the tensors that differ between two checkpoint folders. */
    private static Set<String> changed(Path before, Path after) throws Exception {
        Set<String> out = new TreeSet<>();
        try (SafetensorsCheckpoint a = SafetensorsCheckpoint.open(before);
             SafetensorsCheckpoint b = SafetensorsCheckpoint.open(after)) {
            assertEquals(new TreeSet<>(a.names()), new TreeSet<>(b.names()), "the saved model has every tensor");
            for (String n : a.names()) {
                INDArray x = a.load(n, DataType.FLOAT);
                INDArray y = b.load(n, DataType.FLOAT);
                if (!x.equals(y)) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    private static Set<String> optimizerState(Path checkpoint) throws Exception {
        Set<String> out = new TreeSet<>();
        try (SafetensorsFile f = SafetensorsFile.open(checkpoint.resolve(AdamW.STATE_FILE))) {
            for (String k : f.tensors().keySet()) {
                out.add(k.substring(0, k.lastIndexOf(".exp_avg")));
            }
        }
        return out;
    }

    private static Set<String> names(Path model, java.util.function.Predicate<String> keep) throws Exception {
        Set<String> out = new TreeSet<>();
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(model)) {
            c.names().stream().filter(keep).forEach(out::add);
        }
        return out;
    }

    @Test
    void freezeTrainsTheLastLayerAndTheExtraModules(@TempDir Path dir) throws Exception {
        Path model = TinyCustomerService.writeModel(dir.resolve("model"));  // 2 layers, tied embedding
        Path out = train(model, dir.resolve("freeze"), FinetuningType.FREEZE,
                c -> c.freezeTrainableLayers(1).freezeTrainableModules(List.of("all"))
                        .freezeExtraModules(List.of("norm")));
        // layer 1 entirely, model.norm, and — LF's substring rule — every name containing "norm": layer 0's norms
        Set<String> expected = names(model, n -> n.startsWith("model.layers.1.") || n.contains("norm"));
        assertTrue(expected.contains("model.layers.0.input_layernorm.weight"));
        assertFalse(expected.contains("model.layers.0.self_attn.q_proj.weight"));
        assertEquals(expected, changed(model, out));
        assertEquals(expected, optimizerState(out.resolve("checkpoint-2")));
    }

    @Test
    void freezeFirstLayerMlpOnly(@TempDir Path dir) throws Exception {
        Path model = TinyCustomerService.writeModel(dir.resolve("model"));
        Path out = train(model, dir.resolve("freeze"), FinetuningType.FREEZE,
                c -> c.freezeTrainableLayers(-1).freezeTrainableModules(List.of("mlp")));
        Set<String> expected = names(model, n -> n.startsWith("model.layers.0.mlp."));
        assertEquals(3, expected.size());
        assertEquals(expected, changed(model, out));
        assertEquals(expected, optimizerState(out.resolve("checkpoint-2")));
    }

    @Test
    void freezeRejectsUnknownModules(@TempDir Path dir) throws Exception {
        Path model = TinyCustomerService.writeModel(dir.resolve("model"));
        FineTuneException e = assertThrows(FineTuneException.class, () -> train(model, dir.resolve("x"),
                FinetuningType.FREEZE, c -> c.freezeTrainableModules(List.of("attention"))));
        assertTrue(e.getMessage().contains("self_attn"), e.getMessage());
        e = assertThrows(FineTuneException.class, () -> train(model, dir.resolve("y"),
                FinetuningType.FREEZE, c -> c.freezeExtraModules(List.of("lm_head"))));
        assertTrue(e.getMessage().contains("embed_tokens"), e.getMessage());  // tied: there is no lm_head
    }

    @Test
    void fullTrainsEveryParameter(@TempDir Path dir) throws Exception {
        Path model = TinyCustomerService.writeModel(dir.resolve("model"));
        Path out = train(model, dir.resolve("full"), FinetuningType.FULL, c -> { });
        Set<String> all = names(model, n -> true);
        assertEquals(all, changed(model, out));
        assertEquals(all, optimizerState(out.resolve("checkpoint-2")));
    }
}
