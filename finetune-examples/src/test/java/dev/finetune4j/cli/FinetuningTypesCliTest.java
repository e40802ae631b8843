package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.adapters.lora.LoraAdapter;
import dev.finetune4j.checkpoint.SafetensorsCheckpoint;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.train.optim.AdamW;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Issue 8 from the command line: {@code finetune train} with LLaMA-Factory keys runs freeze, full, QLoRA (4- and 8-bit)
 * and the LoRA variants (DoRA, LoRA+, additional_target, PiSSA with conversion) on the quickstart's tiny model.
 */
class FinetuningTypesCliTest {
    @TempDir
    static Path shared;
    static Path model;
    static Path datasetDir;

    @TempDir
    Path tmp;

    @BeforeAll
    static void tinyModelAndData() throws Exception {
        Path data = Path.of("../examples/customer-service.jsonl");
        model = shared.resolve("model");
        QuickstartModel.write(model, Files.readString(data));
        datasetDir = shared.resolve("data");
        Files.createDirectories(datasetDir);
        Files.copy(data, datasetDir.resolve("customer-service.jsonl"));
        Files.copy(Path.of("../examples/dataset_info.json"), datasetDir.resolve("dataset_info.json"));
    }

    private CliTestSupport.Result train(String... overrides) throws Exception {
        String text = Files.readString(Path.of("../examples/tiny_lora_sft.yaml"))
                .replace("model_name_or_path: quickstart-output/model", "model_name_or_path: " + model)
                .replace("dataset_dir: examples", "dataset_dir: " + datasetDir)
                .replace("output_dir: saves/tiny/lora/sft", "output_dir: " + tmp.resolve("out"));
        Path f = tmp.resolve("train.yaml");
        Files.writeString(f, text);
        String[] args = new String[overrides.length + 5];
        args[0] = "train";
        args[1] = f.toString();
        args[2] = "max_steps=4";
        args[3] = "save_steps=2";
        args[4] = "learning_rate=1e-3";
        System.arraycopy(overrides, 0, args, 5, overrides.length);
        CliTestSupport.Result r = CliTestSupport.run(args);
        assertEquals(0, r.exitCode(), r.err());
        return r;
    }

    private static Set<String> changedTensors(Path before, Path after) throws Exception {
        Set<String> out = new TreeSet<>();
        try (SafetensorsCheckpoint a = SafetensorsCheckpoint.open(before);
             SafetensorsCheckpoint b = SafetensorsCheckpoint.open(after)) {
            for (String n : a.names()) {
                if (!a.load(n, DataType.FLOAT).equals(b.load(n, DataType.FLOAT))) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    @Test
    void freezeFromYamlTrainsTheLastLayersMlp() throws Exception {
        train("finetuning_type=freeze", "freeze_trainable_layers=1", "freeze_trainable_modules=mlp");
        Path out = tmp.resolve("out");
        Set<String> changed = changedTensors(model, out);
        assertEquals(3, changed.size(), changed.toString());
        changed.forEach(n -> assertTrue(n.startsWith("model.layers.1.mlp."), n));
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("checkpoint-2").resolve(AdamW.STATE_FILE))) {
            assertEquals(6, f.tensors().size(), "exp_avg and exp_avg_sq of the 3 trained tensors only");
        }
    }

    @Test
    void fullFromYamlTrainsEverything() throws Exception {
        train("finetuning_type=full");
        Set<String> all = new TreeSet<>();
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(model)) {
            all.addAll(c.names());
        }
        assertEquals(all, changedTensors(model, tmp.resolve("out")));
    }

    @Test
    void qloraFromYaml() throws Exception {
        for (String[] q : new String[][] {{"quantization_bit=4", "quantization_type=fp4"}, {"quantization_bit=8"}}) {
            CliTestSupport.Result r = train(q);
            assertTrue(Files.isRegularFile(tmp.resolve("out/adapter_model.safetensors")), r.out());
        }
    }

    @Test
    void doraLoraPlusAndAdditionalTargetFromYaml() throws Exception {
        train("use_dora=true", "loraplus_lr_ratio=16", "additional_target=norm");
        Path out = tmp.resolve("out");
        JsonNode cfg = new ObjectMapper().readTree(out.resolve("adapter_config.json").toFile());
        assertTrue(cfg.get("use_dora").asBoolean());
        assertEquals("[\"norm\"]", cfg.get("modules_to_save").toString());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertTrue(f.tensors().containsKey("base_model.model.model.norm.weight"));
            assertTrue(f.tensors().keySet().stream().anyMatch(k -> k.endsWith(".lora_magnitude_vector")));
        }
        JsonNode opt = new ObjectMapper().readTree(out.resolve("checkpoint-2").resolve(AdamW.META_FILE).toFile());
        assertEquals("lora_b", opt.get("param_groups").get(1).get("name").asText());
        assertEquals(16.0, opt.get("param_groups").get(1).get("lr_scale").asDouble());
    }

    @Test
    void pissaConvertedAdapterEqualsThePissaTrainedModel() throws Exception {
        train("pissa_init=true", "pissa_convert=true", "pissa_iter=4");
        Path out = tmp.resolve("out");
        for (String d : new String[] {LoraAdapter.PISSA_INIT, LoraAdapter.PISSA_BACKUP, LoraAdapter.PISSA_CONVERTED}) {
            assertTrue(Files.isRegularFile(out.resolve(d).resolve("adapter_model.safetensors")), d);
        }
        // the trained PiSSA model (its adapter applied: the residual is recomputed) and the converted adapter on the
        // original base give the same logits
        CausalLM trained = CausalLM.load(model);
        LoraAdapter.load(out, false, 0).apply(trained);
        CausalLM converted = CausalLM.load(model);
        LoraAdapter.load(out.resolve(LoraAdapter.PISSA_CONVERTED), false, 0).apply(converted);
        Batch b = batch();
        INDArray want = trained.logits(b);
        assertTrue(want.sub(CausalLM.load(model).logits(b)).amaxNumber().doubleValue() > 1e-4, "training moved it");
        assertEquals(0, want.sub(converted.logits(b)).amaxNumber().doubleValue(), 1e-4);
    }

    private static Batch batch() {
        int[][] ids = {{1, 5, 9, 2, 7, 7, 3, 4}};
        int[][] mask = {{1, 1, 1, 1, 1, 1, 1, 1}};
        int[][] pos = {{0, 1, 2, 3, 4, 5, 6, 7}};
        return new Batch(Nd4j.createFromArray(ids), Nd4j.createFromArray(ids), Nd4j.createFromArray(mask),
                Nd4j.createFromArray(pos));
    }
}
