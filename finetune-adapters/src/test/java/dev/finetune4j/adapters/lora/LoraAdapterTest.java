package dev.finetune4j.adapters.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.TestBatches;
import dev.finetune4j.model.tiny.TinyModelWriter;
import dev.finetune4j.nn.Linear;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.testing.GradientCheck;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** LoRA applied to a whole tiny {@link CausalLM}. */
class LoraAdapterTest {
    static final int IGN = -100;

    @TempDir
    Path tmp;

    /** A tiny llama (untied head, so lm_head is a linear layer) written by TinyModelWriter, loaded in DOUBLE. */
    static CausalLM tinyModel(Path dir, String family) throws Exception {
        ModelConfig arch = ModelConfig.builder(family).hidden(16).layers(2).heads(4).kvHeads(2).intermediate(24)
                .vocab(300).build();
        TinyModelWriter.of(arch).seed(3).std(0.2).write(dir);
        return CausalLM.load(dir, ModelOptions.defaults().withDtype(DataType.DOUBLE).withLossChunkElements(300 * 4));
    }

    static Batch batch() {
        int[][] ids = {{1, 5, 9, 2, 7, 7, 3, 0}, {4, 8, 15, 16, 23, 42, 2, 11}};
        int[][] labels = {{IGN, 5, 9, 2, 7, 7, 3, IGN}, {IGN, IGN, 15, 16, 23, 42, 2, 11}};
        int[][] mask = {{1, 1, 1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 1, 1, 1}};
        int[][] pos = {{0, 1, 2, 3, 4, 5, 6, 0}, {0, 1, 2, 3, 4, 5, 6, 7}};
        return TestBatches.of(ids, labels, mask, pos);
    }

    @Test
    void allWrapsEveryProjectionButTheHeadAndFreezesTheBase() throws Exception {
        CausalLM m = tinyModel(tmp, "llama");
        m.namedParameters().values().forEach(p -> p.setTrainable(true)); // the adapter must freeze these
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(4, 8, 0, "all"), 1);
        lora.apply(m);
        assertEquals(14, lora.targetModules().size());
        assertFalse(lora.targetModules().contains("lm_head"));
        assertEquals(List.of("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"),
                lora.resolvedTargetNames());
        for (String name : lora.targetModules()) {
            assertInstanceOf(LoraLinear.class, m.linearLayers().get(name));
        }
        List<Parameter> trainable = m.trainableParameters();
        assertEquals(lora.trainableParameters(), trainable);
        assertEquals(28, trainable.size());
        assertEquals("model.layers.0.self_attn.q_proj.lora_A.weight", trainable.get(0).name());
        assertEquals("model.layers.0.self_attn.q_proj.lora_B.weight", trainable.get(1).name());
        assertNotNull(m.namedParameters().get("model.layers.1.mlp.down_proj.lora_B.weight"));
        assertThrows(IllegalStateException.class, () -> lora.apply(m), "an adapter is applied once");
    }

    @Test
    void namedTargetsAndTheHeadWhenAskedFor() throws Exception {
        CausalLM m = tinyModel(tmp, "llama");
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(2, 4, 0, "q_proj", "v_proj", "lm_head"), 1);
        lora.apply(m);
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj", "lm_head"), lora.targetModules());
    }

    @Test
    void targetsThatMatchNothingAreAUserError() throws Exception {
        CausalLM m = tinyModel(tmp, "llama");
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> LoraAdapter.create(LoraConfig.of(2, 4, 0, "c_attn"), 1).apply(m));
        assertTrue(e.getMessage().contains("c_attn") && e.getMessage().contains("q_proj"), e.getMessage());
    }

    @Test
    void zeroBLeavesTheModelUnchangedAndDisablingRestoresTheBase() throws Exception {
        CausalLM m = tinyModel(tmp, "qwen2");
        INDArray before = m.logits(batch()).dup();
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(4, 8, 0, "all"), 1);
        lora.apply(m);
        assertEquals(before, m.logits(batch()));
        LoraAdapter random = LoraAdapter.create(LoraConfig.of(4, 8, 0, "all").withInit(LoraInit.RANDOM), 2);
        CausalLM m2 = tinyModel(tmp.resolve("b"), "qwen2");
        random.apply(m2);
        INDArray adapted = m2.logits(batch()).dup();
        assertTrue(adapted.sub(before).amaxNumber().doubleValue() > 1e-3);
        random.setEnabled(false);
        assertEquals(0, m2.logits(batch()).sub(before).amaxNumber().doubleValue(), 1e-12);
        random.setEnabled(true);
        assertEquals(0, m2.logits(batch()).sub(adapted).amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void wholeModelGradientsOfAAndBMatchFiniteDifferences() throws Exception {
        CausalLM m = tinyModel(tmp, "qwen2");
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(4, 8, 0, "all").withInit(LoraInit.RANDOM), 5);
        lora.apply(m);
        Batch b = batch();
        m.lossAndBackward(b, 0);
        for (Parameter p : m.namedParameters().values()) {
            if (!p.trainable()) {
                assertNull(p.grad(), p.name() + " is frozen and must get no gradient");
            }
        }
        for (Parameter p : lora.trainableParameters()) {
            assertNotNull(p.grad(), p.name());
            GradientCheck.check(p.name(), () -> m.loss(b).loss(), p.value(), p.grad(), 4, 1e-5, 1e-9);
        }
    }

    @Test
    void activationCheckpointingGivesTheSameLoraGradients() throws Exception {
        Map<String, INDArray> grads = new java.util.LinkedHashMap<>();
        for (boolean ckpt : new boolean[] {false, true}) {
            Path dir = tmp.resolve("m" + ckpt);
            tinyModel(dir, "qwen2");
            CausalLM m = CausalLM.load(dir, ModelOptions.defaults().withDtype(DataType.DOUBLE)
                    .withActivationCheckpointing(ckpt));
            LoraAdapter lora = LoraAdapter.create(LoraConfig.of(4, 8, 0, "all").withInit(LoraInit.RANDOM), 5);
            lora.apply(m);
            m.lossAndBackward(batch(), 0);
            for (Parameter p : lora.trainableParameters()) {
                INDArray prev = grads.putIfAbsent(p.name(), p.grad().dup());
                if (prev != null) {
                    assertEquals(0, prev.sub(p.grad()).amaxNumber().doubleValue(), 1e-12, p.name());
                }
            }
        }
        assertEquals(28, grads.size());
    }

    @Test
    void wholeModelGradientsWithDropoutMatchFiniteDifferencesOfTheSameMask() throws Exception {
        CausalLM m = tinyModel(tmp, "llama");
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(4, 8, 0.3, "q_proj", "down_proj")
                .withInit(LoraInit.RANDOM), 5);
        lora.apply(m);
        Batch b = batch();
        Runnable reseed = () -> {
            int k = 0;
            for (LoraModule l : lora.layers().values()) {
                l.reseedDropout(1000 + k++);
            }
        };
        reseed.run();
        m.lossAndBackward(b, 0);
        Map<String, INDArray> grads = new java.util.LinkedHashMap<>();
        lora.trainableParameters().forEach(p -> grads.put(p.name(), p.grad().dup()));
        double noDropout = m.loss(b).loss();
        for (Parameter p : lora.trainableParameters()) {
            GradientCheck.check(p.name(), () -> {
                reseed.run();
                return m.lossAndBackward(b, 0).loss(); // the training forward applies the replayed mask
            }, p.value(), grads.get(p.name()), 4, 1e-5, 1e-9);
        }
        reseed.run();
        assertTrue(Math.abs(m.lossAndBackward(b, 0).loss() - noDropout) > 1e-6, "dropout must change the loss");
    }

    @Test
    void createdFromTheFineTuneSettingsThroughTheProvider() throws Exception {
        FineTuneConfig c = FineTuneConfig.builder().modelNameOrPath(tmp).outputDir(tmp.resolve("out"))
                .dataset("identity").template("qwen").loraRank(4).loraDropout(0.1)
                .loraTarget(List.of("q_proj", "v_proj")).build();
        Adapter a = Adapters.create(c.method(), 42);
        assertEquals("lora", a.method());
        LoraConfig lc = ((LoraAdapter) a).config();
        assertEquals(4, lc.rank());
        assertEquals(8.0, lc.alpha(), "LLaMA-Factory's default alpha is 2·rank");
        assertEquals(0.1, lc.dropout());
        CausalLM m = tinyModel(tmp, "qwen2");
        a.apply(m);
        assertEquals(4, a.targetModules().size());
        LoraConfig variants = ((LoraAdapter) Adapters.create(FineTuneConfig.builder().modelNameOrPath(tmp)
                .outputDir(tmp.resolve("out")).dataset("identity").template("qwen").useDora(true).pissaInit(true)
                .pissaIter(-1).useRslora(true).additionalTarget(List.of("norm")).build().method(), 1)).config();
        assertTrue(variants.useDora());
        assertTrue(variants.useRslora());
        assertEquals(LoraInit.PISSA, variants.init());
        assertEquals(-1, variants.pissaIter());
        assertEquals("pissa", variants.initLoraWeights());
        assertEquals(List.of("norm"), variants.modulesToSave());
    }

    @Test
    void foundByNameThroughServiceLoader() {
        assertEquals("lora", Adapters.provider("LoRA").method());
        assertTrue(assertThrows(FineTuneException.class, () -> Adapters.provider("ia3")).getMessage().contains("lora"));
    }

    @Test
    void mergeIntoReplacesTheWrappersByDenseLayersWithTheSameOutput() throws Exception {
        CausalLM m = tinyModel(tmp, "llama");
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(4, 8, 0, "all").withInit(LoraInit.RANDOM), 5);
        lora.apply(m);
        INDArray adapted = m.logits(batch()).dup();
        lora.mergeInto(m);
        for (Linear l : m.linearLayers().values()) {
            assertFalse(l instanceof LoraLinear, l.name());
        }
        assertEquals(0, m.logits(batch()).sub(adapted).amaxNumber().doubleValue(), 1e-10);
        assertTrue(m.trainableParameters().isEmpty());
        Adapter unused = lora;
        assertTrue(unused.parameters().isEmpty());
    }
}
