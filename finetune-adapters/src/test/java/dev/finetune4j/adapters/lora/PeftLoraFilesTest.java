package dev.finetune4j.adapters.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.checkpoint.CheckpointException;
import dev.finetune4j.checkpoint.SafeDType;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.checkpoint.SafetensorsWriter;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.tiny.TinyModelWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class PeftLoraFilesTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    Path modelDir;

    @BeforeEach
    void writeModel() throws Exception {
        modelDir = tmp.resolve("model");
        ModelConfig arch = ModelConfig.builder("qwen2").hidden(16).layers(2).heads(4).kvHeads(2).intermediate(24)
                .vocab(300).build();
        TinyModelWriter.of(arch).seed(3).std(0.2).write(modelDir);
    }

    CausalLM model() throws Exception {
        return CausalLM.load(modelDir, ModelOptions.defaults());
    }

    @Test
    void savedFolderHasPeftKeysNamesAndShapes() throws Exception {
        CausalLM m = model();
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(4, 16, 0.05, "all"), 1);
        lora.apply(m);
        Path out = tmp.resolve("adapter");
        lora.save(out, "Qwen/Qwen2.5-0.5B");
        JsonNode cfg = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("LORA", cfg.get("peft_type").asText());
        assertEquals("CAUSAL_LM", cfg.get("task_type").asText());
        assertEquals(4, cfg.get("r").asInt());
        assertTrue(cfg.get("lora_alpha").isIntegralNumber(), "an integral alpha is written as an integer");
        assertEquals(16, cfg.get("lora_alpha").asInt());
        assertEquals(0.05, cfg.get("lora_dropout").asDouble());
        assertEquals("[\"down_proj\",\"gate_proj\",\"k_proj\",\"o_proj\",\"q_proj\",\"up_proj\",\"v_proj\"]",
                cfg.get("target_modules").toString());
        assertEquals("none", cfg.get("bias").asText());
        assertTrue(cfg.get("inference_mode").asBoolean());
        assertTrue(cfg.get("init_lora_weights").asBoolean());
        assertEquals(false, cfg.get("use_rslora").asBoolean());
        assertEquals(false, cfg.get("use_dora").asBoolean());
        assertEquals("Qwen/Qwen2.5-0.5B", cfg.get("base_model_name_or_path").asText());
        assertTrue(cfg.get("rank_pattern").isObject() && cfg.get("rank_pattern").isEmpty());
        List<String> keys = new ArrayList<>();
        cfg.fieldNames().forEachRemaining(keys::add);
        assertEquals(keys.stream().sorted().toList(), keys, "keys sorted as PEFT writes them");
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(28, f.tensors().size());
            assertEquals(SafeDType.F32, f.info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").dtype());
            assertEquals("[4, 16]", java.util.Arrays.toString(
                    f.info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").shape()));
            assertEquals("[8, 4]", java.util.Arrays.toString(
                    f.info("base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight").shape()));
            assertEquals("[16, 4]", java.util.Arrays.toString(
                    f.info("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight").shape()));
            assertEquals("pt", f.metadata().get("format"));
        }
    }

    @Test
    void roundTripGivesIdenticalTensorsAndConfig() throws Exception {
        CausalLM m = model();
        LoraConfig config = LoraConfig.of(4, 12, 0.1, "q_proj", "down_proj").withInit(LoraInit.RANDOM).withRslora(true);
        LoraAdapter lora = LoraAdapter.create(config, 9);
        lora.apply(m);
        Path out = tmp.resolve("adapter");
        lora.save(out, "base");
        INDArray logits = m.logits(LoraAdapterTest.batch()).dup();

        CausalLM m2 = model();
        Adapter back = Adapters.load(out, false, 0);
        back.apply(m2);
        LoraAdapter loaded = (LoraAdapter) back;
        assertEquals(config.withInit(LoraInit.RANDOM), loaded.config());
        assertEquals(lora.targetModules(), loaded.targetModules());
        for (int i = 0; i < lora.parameters().size(); i++) {
            assertEquals(lora.parameters().get(i).name(), loaded.parameters().get(i).name());
            assertEquals(lora.parameters().get(i).value(), loaded.parameters().get(i).value());
        }
        assertTrue(loaded.trainableParameters().isEmpty(), "loaded for inference: frozen");
        assertTrue(m2.trainableParameters().isEmpty());
        assertEquals(logits, m2.logits(LoraAdapterTest.batch()));

        Adapter trainable = Adapters.load(out, true, 0);
        trainable.apply(model());
        assertEquals(8, trainable.trainableParameters().size());
    }

    @Test
    void rankAndAlphaPatternsAreHonouredOnLoadAndUnknownKeysIgnored() throws Exception {
        CausalLM m = model();
        LoraConfig config = LoraConfig.of(4, 8, 0, "q_proj", "v_proj")
                .withPatterns(Map.of("v_proj", 2), Map.of("model.layers.1.self_attn.q_proj", 32.0));
        LoraAdapter lora = LoraAdapter.create(config, 1);
        lora.apply(m);
        assertEquals(2, lora.layers().get("model.layers.0.self_attn.v_proj").rank());
        assertEquals(4, lora.layers().get("model.layers.0.self_attn.q_proj").rank());
        assertEquals(8.0, lora.layers().get("model.layers.1.self_attn.q_proj").scaling());
        Path out = tmp.resolve("adapter");
        lora.save(out, "base");
        ObjectNode cfg = (ObjectNode) JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals(2, cfg.get("rank_pattern").get("v_proj").asInt());
        assertEquals(32, cfg.get("alpha_pattern").get("model.layers.1.self_attn.q_proj").asInt());
        cfg.put("some_future_key", "x");
        cfg.put("peft_version", "0.99.0");
        Files.writeString(out.resolve("adapter_config.json"), cfg.toString());
        LoraAdapter back = LoraAdapter.load(out, false, 0);
        back.apply(model());
        assertEquals(2, back.layers().get("model.layers.1.self_attn.v_proj").rank());
        assertEquals(8.0, back.layers().get("model.layers.1.self_attn.q_proj").scaling());
        assertEquals(2.0, back.layers().get("model.layers.0.self_attn.q_proj").scaling());
    }

    @Test
    void peftInMemoryDefaultInfixIsAccepted() throws Exception {
        Path out = savedAdapter();
        rewriteWeights(out, k -> k.replace(".lora_A.weight", ".lora_A.default.weight")
                .replace(".lora_B.weight", ".lora_B.default.weight"), null);
        LoraAdapter.load(out, false, 0).apply(model());
    }

    @Test
    void missingTensorIsAnErrorNamingFileAndTensor() throws Exception {
        Path out = savedAdapter();
        String dropped = "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight";
        rewriteWeights(out, k -> k.equals(dropped) ? null : k, null);
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> LoraAdapter.load(out, false, 0).apply(model()));
        assertTrue(e.getMessage().contains("adapter_model.safetensors") && e.getMessage().contains(dropped),
                e.getMessage());
    }

    @Test
    void wrongShapeIsAnErrorNamingTheTensorAndBothShapes() throws Exception {
        Path out = savedAdapter();
        ObjectNode cfg = (ObjectNode) JSON.readTree(out.resolve("adapter_config.json").toFile());
        cfg.put("r", 3);
        Files.writeString(out.resolve("adapter_config.json"), cfg.toString());
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> LoraAdapter.load(out, false, 0).apply(model()));
        assertTrue(e.getMessage().contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
                && e.getMessage().contains("[4, 16]") && e.getMessage().contains("[3, 16]"), e.getMessage());
    }

    @Test
    void tensorsForLayersTheModelLacksAreAnError() throws Exception {
        Path out = savedAdapter();
        rewriteWeights(out, k -> k, "base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> LoraAdapter.load(out, false, 0).apply(model()));
        assertTrue(e.getMessage().contains("layers.7"), e.getMessage());
    }

    @Test
    void unsupportedSettingsAndBadFilesAreErrorsNamingTheFile() throws Exception {
        Path out = savedAdapter();
        Path cfgFile = out.resolve("adapter_config.json");
        String original = Files.readString(cfgFile);
        for (String[] c : new String[][] {{"layers_to_transform", "[0]", "layers_to_transform"}, {"bias", "\"all\"", "bias"},
                {"modules_to_save", "\"lm_head\"", "modules_to_save"}, {"r", "0", "\"r\""},
                {"peft_type", "\"IA3\"", "LORA"}, {"target_modules", "null", "target_modules"}}) {
            ObjectNode cfg = (ObjectNode) JSON.readTree(original);
            cfg.set(c[0], JSON.readTree(c[1]));
            Files.writeString(cfgFile, cfg.toString());
            CheckpointException e = assertThrows(CheckpointException.class, () -> LoraAdapter.load(out, false, 0),
                    c[0]);
            assertTrue(e.getMessage().contains("adapter_config.json") && e.getMessage().contains(c[2]), e.getMessage());
        }
        Files.writeString(cfgFile, "{\"peft_type\": \"LORA\",\n \"r\": 8,,}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> LoraAdapter.load(out, false, 0));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Files.writeString(cfgFile, original);
        Files.delete(out.resolve("adapter_model.safetensors"));
        e = assertThrows(CheckpointException.class, () -> LoraAdapter.load(out, false, 0));
        assertTrue(e.getMessage().contains("adapter_model.safetensors"), e.getMessage());
        FineTuneException missing = assertThrows(FineTuneException.class,
                () -> Adapters.load(tmp.resolve("nowhere"), false, 0));
        assertTrue(missing.getMessage().contains("adapter_config.json"), missing.getMessage());
    }

    @Test
    void regexTargetsAreWrittenAsTheRegex() throws Exception {
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(2, 4, 0, "x")
                .withTargets(new TargetModules.Regex(".*\\.1\\.mlp\\.(up|down)_proj")), 1);
        lora.apply(model());
        assertEquals(List.of("model.layers.1.mlp.up_proj", "model.layers.1.mlp.down_proj"), lora.targetModules());
        Path out = tmp.resolve("adapter");
        lora.save(out, "base");
        JsonNode t = JSON.readTree(out.resolve("adapter_config.json").toFile()).get("target_modules");
        assertTrue(t.isTextual());
        LoraAdapter back = LoraAdapter.load(out, false, 0);
        assertInstanceOf(TargetModules.Regex.class, back.config().targets());
        back.apply(model());
        assertEquals(lora.targetModules(), back.targetModules());
    }

    private Path savedAdapter() throws Exception {
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(4, 8, 0, "q_proj", "v_proj"), 1);
        lora.apply(model());
        Path out = tmp.resolve("adapter");
        lora.save(out, "base");
        return out;
    }

    /** Rewrites the weights file renaming (or dropping: null) keys, optionally adding one extra tensor. */
    private static void rewriteWeights(Path dir, java.util.function.UnaryOperator<String> rename, String extra)
            throws Exception {
        Path file = dir.resolve("adapter_model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (Iterator<String> it = f.tensors().keySet().iterator(); it.hasNext(); ) {
                String k = it.next();
                String n = rename.apply(k);
                if (n != null) {
                    w.put(n, f.load(k, DataType.FLOAT), SafeDType.F32);
                }
            }
            if (extra != null) {
                w.put(extra, f.load(f.tensors().keySet().iterator().next(), DataType.FLOAT), SafeDType.F32);
            }
        }
        w.write(file);
    }
}
