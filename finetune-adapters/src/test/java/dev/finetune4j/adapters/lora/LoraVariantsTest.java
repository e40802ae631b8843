package dev.finetune4j.adapters.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.config.MethodSettings;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.tiny.TinyModelWriter;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.train.optim.OptimizerGroups;
import dev.finetune4j.train.optim.ParamGroup;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Issue 8: DoRA, rsLoRA, PiSSA (and its conversion), modules_to_save and LoRA+ on a whole tiny model. */
class LoraVariantsTest {
    @TempDir
    Path tmp;

    Path model(String family) throws Exception {
        Path dir = tmp.resolve("model-" + family);
        ModelConfig arch = ModelConfig.builder(family).hidden(32).layers(2).heads(4).kvHeads(2).intermediate(48)
                .vocab(300).build();
        TinyModelWriter.of(arch).seed(4).std(0.1).write(dir);
        return dir;
    }

    static INDArray logits(CausalLM m) {
        return m.logits(LoraAdapterTest.batch()).dup();
    }

    static double maxAbs(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue();
    }

    /** "Training": every adapter parameter moves by seeded noise (so B ≠ 0 and m ≠ ‖V‖). */
    static void perturb(LoraAdapter a, double scale) {
        Nd4j.getRandom().setSeed(99);
        for (Parameter p : a.trainableParameters()) {
            p.value().addi(Nd4j.randn(p.value().dataType(), p.value().shape()).muli(scale));
        }
    }

    static MethodSettings pissaConvert(Path dir) {
        return FineTuneConfig.builder().modelNameOrPath(dir).outputDir(dir.resolve("out")).dataset("identity")
                .template("qwen").pissaInit(true).pissaConvert(true).build().method();
    }

    @Test
    void doraAndRsLoraMergeToTheSameLogitsAndDoraSavesPeftMagnitudes() throws Exception {
        Path model = model("llama");
        CausalLM m = CausalLM.load(model);
        LoraAdapter dora = LoraAdapter.create(LoraConfig.of(4, 8, 0.1, "all").withDora(true).withRslora(true), 3);
        dora.apply(m);
        assertEquals(0, maxAbs(logits(m), logits(CausalLM.load(model))), 1e-5, "DoRA starts as the base");
        perturb(dora, 0.3);
        INDArray want = logits(m);
        assertTrue(maxAbs(want, logits(CausalLM.load(model))) > 1e-2, "the adapter must matter");

        Path dir = tmp.resolve("dora");
        dora.save(dir, model.toString());
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        assertTrue(cfg.get("use_dora").asBoolean());
        assertTrue(cfg.get("use_rslora").asBoolean());
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            Set<String> magnitudes = new TreeSet<>();
            f.tensors().keySet().stream().filter(k -> k.endsWith(".lora_magnitude_vector")).forEach(magnitudes::add);
            assertEquals(14, magnitudes.size());   // 7 projections × 2 layers
            assertTrue(magnitudes.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"));
            assertEquals(List.of(32L), java.util.Arrays.stream(
                    f.info("base_model.model.model.layers.1.mlp.down_proj.lora_magnitude_vector").shape()).boxed()
                    .toList());
            assertEquals(3 * 14, f.tensors().size());
        }
        // loaded again: the same model
        CausalLM again = CausalLM.load(model);
        LoraAdapter.load(dir, false, 0).apply(again);
        assertEquals(0, maxAbs(logits(again), want), 1e-6);
        // merged on disk (export) and in memory: the same logits within 1e-4
        LoraMerge.export(model, dir, tmp.resolve("merged"));
        assertEquals(0, maxAbs(logits(CausalLM.load(tmp.resolve("merged"))), want), 1e-4);
        dora.mergeInto(m);
        assertEquals(0, maxAbs(logits(m), want), 1e-4);
    }

    @Test
    void rsLoraMergesToTheSameLogits() throws Exception {
        Path model = model("qwen2");
        CausalLM m = CausalLM.load(model);
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(16, 8, 0, "all").withRslora(true), 5);
        lora.apply(m);
        perturb(lora, 0.2);
        assertEquals(8 / 4.0, lora.layers().values().iterator().next().scaling(), "s = α/√r");
        INDArray want = logits(m);
        Path dir = tmp.resolve("rs");
        lora.save(dir, model.toString());
        LoraMerge.export(model, dir, tmp.resolve("merged"));
        assertEquals(0, maxAbs(logits(CausalLM.load(tmp.resolve("merged"))), want), 1e-4);
    }

    @Test
    void pissaStartsAsTheBaseWithTheTopSingularDirections() throws Exception {
        Path model = model("qwen2");
        INDArray base = logits(CausalLM.load(model));
        for (int iterations : new int[] {-1, 16}) {
            CausalLM m = CausalLM.load(model);
            INDArray w = m.namedParameters().get("model.layers.0.mlp.up_proj.weight").value().dup();
            LoraAdapter p = LoraAdapter.create(LoraConfig.of(4, 8, 0, "all").withPissa(iterations), 1);
            p.apply(m);
            assertEquals(0, maxAbs(logits(m), base), 1e-5, "residual + s·B·A = W");
            // the residual holds what the top 4 singular directions leave: ‖W_res‖² = Σ_{i>4} σ_i²
            INDArray res = m.namedParameters().get("model.layers.0.mlp.up_proj.weight").value();
            SymmetricEigen e = SymmetricEigen.of(w.castTo(DataType.DOUBLE).transpose()
                    .mmul(w.castTo(DataType.DOUBLE)).toDoubleMatrix());
            double tail = 0;
            for (int i = 4; i < e.values.length; i++) {
                tail += Math.max(0, e.values[i]);
            }
            double got = res.castTo(DataType.DOUBLE).norm2Number().doubleValue();
            // exact: the optimum; randomized (16 subspace iterations on a random matrix, whose singular values lie
            // close together): within 1 % of it, as torch.svd_lowrank(q = r) — and never below the optimum
            assertEquals(Math.sqrt(tail), got, (iterations < 0 ? 1e-5 : 1e-2) * Math.sqrt(tail),
                    "iterations " + iterations);
            assertTrue(got >= Math.sqrt(tail) * (1 - 1e-6));
        }
    }

    @Test
    void pissaConvertedAdapterOnTheOriginalBaseEqualsTheTrainedPissaModel() throws Exception {
        Path model = model("llama");
        CausalLM m = CausalLM.load(model);
        LoraAdapter p = LoraAdapter.create(LoraConfig.of(4, 8, 0, "all").withPissa(16).withDora(true), 1);
        p.apply(m);
        Path out = tmp.resolve("out");
        MethodSettings method = pissaConvert(tmp);
        p.beforeTraining(out, model.toString(), method, false);
        perturb(p, 0.05);
        INDArray trained = logits(m);
        p.save(out, model.toString());
        p.afterTraining(out, model.toString(), method);

        // the converted adapter is plain LoRA of rank 2r on the ORIGINAL weights
        Path converted = out.resolve(LoraAdapter.PISSA_CONVERTED);
        JsonNode cfg = new ObjectMapper().readTree(converted.resolve("adapter_config.json").toFile());
        assertEquals(8, cfg.get("r").asInt());
        assertEquals(16, cfg.get("lora_alpha").asInt());
        assertTrue(cfg.get("init_lora_weights").asBoolean());
        CausalLM original = CausalLM.load(model);
        LoraAdapter.load(converted, false, 0).apply(original);
        assertEquals(0, maxAbs(logits(original), trained), 1e-4);
        // merged into the original base: the same
        LoraMerge.export(model, converted, tmp.resolve("merged"));
        assertEquals(0, maxAbs(logits(CausalLM.load(tmp.resolve("merged"))), trained), 1e-4);
        // the unconverted adapter (init_lora_weights "pissa_niter_16") recomputes its residual when applied
        JsonNode root = new ObjectMapper().readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("pissa_niter_16", root.get("init_lora_weights").asText());
        CausalLM again = CausalLM.load(model);
        LoraAdapter.load(out, false, 0).apply(again);
        assertEquals(0, maxAbs(logits(again), trained), 1e-4);
        assertEquals(0, maxAbs(logits(CausalLM.load(exportUnconverted(model, out))), trained), 1e-4);
        assertTrue(java.nio.file.Files.isDirectory(out.resolve(LoraAdapter.PISSA_BACKUP)));
    }

    private Path exportUnconverted(Path model, Path adapter) throws Exception {
        Path dir = tmp.resolve("merged-unconverted");
        LoraMerge.export(model, adapter, dir);
        return dir;
    }

    @Test
    void modulesToSaveTrainWholeAndAreSavedUnderPeftNames() throws Exception {
        Path model = model("llama");
        CausalLM m = CausalLM.load(model);
        INDArray originalNorm = m.namedParameters().get("model.norm.weight").value().dup();
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(4, 8, 0, "q_proj", "v_proj")
                .withModulesToSave(List.of("norm", "lm_head")), 2);
        lora.apply(m);
        Set<String> trainable = new TreeSet<>();
        lora.trainableParameters().forEach(p -> trainable.add(p.name()));
        assertTrue(trainable.contains("model.norm.weight"));
        assertTrue(trainable.contains("lm_head.weight"));
        assertFalse(trainable.contains("model.layers.0.input_layernorm.weight"), "'norm' is a module name, not a suffix");
        assertEquals(4 * 2 + 2, trainable.size());
        perturb(lora, 0.3);
        INDArray want = logits(m);
        INDArray trainedNorm = m.namedParameters().get("model.norm.weight").value().dup();

        lora.setEnabled(false);
        assertEquals(originalNorm, m.namedParameters().get("model.norm.weight").value(), "disabled: the original");
        assertEquals(0, maxAbs(logits(m), logits(CausalLM.load(model))), 1e-6);
        lora.setEnabled(true);
        assertEquals(trainedNorm, m.namedParameters().get("model.norm.weight").value());

        Path dir = tmp.resolve("mts");
        lora.save(dir, model.toString());
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            assertEquals(trainedNorm, f.load("base_model.model.model.norm.weight", DataType.FLOAT));
            assertTrue(f.tensors().containsKey("base_model.model.lm_head.weight"));
        }
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        assertEquals("[\"norm\",\"lm_head\"]", cfg.get("modules_to_save").toString());
        CausalLM again = CausalLM.load(model);
        LoraAdapter.load(dir, false, 0).apply(again);
        assertEquals(0, maxAbs(logits(again), want), 1e-6);
        LoraMerge.export(model, dir, tmp.resolve("merged"));
        assertEquals(0, maxAbs(logits(CausalLM.load(tmp.resolve("merged"))), want), 1e-4);

        FineTuneException e = assertThrows(FineTuneException.class, () -> LoraAdapter.create(
                LoraConfig.of(4, 8, 0, "q_proj").withModulesToSave(List.of("score")), 1).apply(CausalLM.load(model)));
        assertTrue(e.getMessage().contains("score") && e.getMessage().contains("embed_tokens"), e.getMessage());
    }

    @Test
    void loraPlusPutsBAndOneDimensionalParametersInTheFasterGroup() throws Exception {
        CausalLM m = CausalLM.load(model("qwen2"));
        LoraAdapter dora = LoraAdapter.create(LoraConfig.of(4, 8, 0, "q_proj").withDora(true)
                .withModulesToSave(List.of("norm")), 1);
        dora.apply(m);
        List<ParamGroup> groups = OptimizerGroups.loraPlus(dora.trainableParameters(), 16, 1e-6 / 2e-4, 0.01);
        assertEquals(List.of("lora_a", "lora_b", "lora_b_nodecay", "embedding"),
                groups.stream().map(ParamGroup::name).toList());
        assertEquals(Set.of("model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.1.self_attn.q_proj.lora_A.weight"),
                names(groups.get(0)));
        assertEquals(Set.of("model.layers.0.self_attn.q_proj.lora_B.weight", "model.layers.1.self_attn.q_proj.lora_B.weight",
                "model.layers.0.self_attn.q_proj.lora_magnitude_vector",
                "model.layers.1.self_attn.q_proj.lora_magnitude_vector"), names(groups.get(1)));
        assertEquals(Set.of("model.norm.weight"), names(groups.get(2)), "1-D and no weight decay (a norm)");
        assertEquals(1.0, groups.get(0).lrScale());
        assertEquals(16.0, groups.get(1).lrScale());
        assertEquals(16.0, groups.get(2).lrScale());
        assertEquals(0.0, groups.get(2).weightDecay());
        assertEquals(0.01, groups.get(1).weightDecay());
        assertEquals(0.005, groups.get(3).lrScale(), 1e-15);
    }

    private static Set<String> names(ParamGroup g) {
        Set<String> out = new TreeSet<>();
        g.parameters().forEach(p -> out.add(p.name()));
        return out;
    }
}
