package dev.finetune4j.adapters.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.checkpoint.CheckpointException;
import dev.finetune4j.checkpoint.SafeDType;
import dev.finetune4j.checkpoint.SafetensorsCheckpoint;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.tiny.TinyModelWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class LoraMergeTest {
    @TempDir
    Path tmp;

    Path writeModel(String family, SafeDType dtype) throws Exception {
        Path dir = tmp.resolve("model");
        ModelConfig arch = ModelConfig.builder(family).hidden(32).layers(2).heads(4).kvHeads(2).intermediate(48)
                .vocab(300).build();
        TinyModelWriter.of(arch).seed(4).std(0.1).dtype(dtype).write(dir);
        return dir;
    }

    /** Trains nothing: a RANDOM-init adapter (B nonzero) with per-module patterns, saved next to the model. */
    Path writeAdapter(Path modelDir, String... targets) throws Exception {
        CausalLM m = CausalLM.load(modelDir);
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(4, 8, 0, targets).withInit(LoraInit.RANDOM)
                .withRslora(true).withPatterns(Map.of("v_proj", 2), Map.of("down_proj", 3.0)), 11);
        lora.apply(m);
        Path dir = tmp.resolve("adapter");
        lora.save(dir, modelDir.toString());
        return dir;
    }

    static INDArray logits(CausalLM m) {
        Batch b = LoraAdapterTest.batch();
        return m.logits(b).dup();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "llama"})
    void mergedCheckpointLogitsEqualBasePlusAdapter(String family) throws Exception {
        Path model = writeModel(family, SafeDType.F32);
        Path adapter = family.equals("llama") // untied: the head is a linear layer that may be adapted too
                ? writeAdapter(model, "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head")
                : writeAdapter(model, "all");
        CausalLM withAdapter = CausalLM.load(model);
        LoraAdapter.load(adapter, false, 0).apply(withAdapter);
        INDArray want = logits(withAdapter);
        INDArray base = logits(CausalLM.load(model));
        assertTrue(want.sub(base).amaxNumber().doubleValue() > 1e-2, "the adapter must matter");

        Path out = tmp.resolve("merged");
        LoraMerge.Result r = LoraMerge.export(model, adapter, out);
        assertEquals(SafeDType.F32, r.dtype());
        assertEquals(family.equals("llama") ? 15 : 14, r.mergedModules().size());
        INDArray got = logits(CausalLM.load(out));
        assertEquals(0, got.sub(want).amaxNumber().doubleValue(), 1e-4);
        for (String f : new String[] {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json"}) {
            assertArrayEquals(Files.readAllBytes(model.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"BF16", "F16"})
    void halfPrecisionBasesAreWrittenInTheirTypeWithOnlyTheAdaptedWeightsChanged(String type) throws Exception {
        SafeDType dtype = SafeDType.valueOf(type);
        Path model = writeModel("qwen2", dtype);
        Path adapter = writeAdapter(model, "q_proj", "down_proj");
        Path out = tmp.resolve("merged");
        LoraMerge.Result r = LoraMerge.export(model, adapter, out, 40_000);
        assertEquals(dtype, r.dtype());
        LoraAdapter lora = LoraAdapter.load(adapter, false, 0);
        CausalLM m = CausalLM.load(model);
        lora.apply(m);
        try (SafetensorsCheckpoint base = SafetensorsCheckpoint.open(model);
             SafetensorsCheckpoint merged = SafetensorsCheckpoint.open(out)) {
            assertTrue(Files.exists(out.resolve(SafetensorsCheckpoint.INDEX_FILE)), "small shards: an index");
            assertEquals(base.names(), merged.names());
            for (String n : base.names()) {
                assertEquals(dtype, merged.info(n).dtype(), n);
                String module = n.substring(0, n.length() - ".weight".length());
                LoraModule l = lora.layers().get(module);
                if (l == null) {
                    assertArrayEquals(base.loadBytes(n), merged.loadBytes(n), n + " must be copied unchanged");
                } else {
                    INDArray exact = base.load(n, DataType.FLOAT).add(((LoraLinear) l).delta());
                    INDArray got = merged.load(n, DataType.FLOAT);
                    double ulp = dtype == SafeDType.BF16 ? 0x1p-8 : 0x1p-11;
                    INDArray err = got.sub(exact);
                    INDArray bound = org.nd4j.linalg.ops.transforms.Transforms.abs(exact).mul(ulp).add(1e-7);
                    assertEquals(0, err.gt(bound).castTo(DataType.INT32).sumNumber().intValue(),
                            n + ": merged weight must be W + s·B·A rounded to " + dtype);
                }
            }
        }
        assertEquals(Files.readString(model.resolve("config.json")), Files.readString(out.resolve("config.json")));
    }

    @Test
    void badFoldersAreUserErrors() throws Exception {
        Path model = writeModel("qwen2", SafeDType.F32);
        Path adapter = writeAdapter(model, "q_proj");
        assertThrows(FineTuneException.class, () -> LoraMerge.export(model, adapter, model));
        Path out = tmp.resolve("merged");
        Adapters.exportMerged(model, adapter, out); // through the provider, by peft_type
        assertTrue(Files.exists(out.resolve("model.safetensors")));
        FineTuneException e = assertThrows(FineTuneException.class, () -> LoraMerge.export(model, adapter, out));
        assertTrue(e.getMessage().contains("already holds weights"), e.getMessage());
        e = assertThrows(FineTuneException.class, () -> LoraMerge.export(tmp.resolve("none"), adapter, tmp.resolve("o")));
        assertTrue(e.getMessage().contains("not a model folder"), e.getMessage());

        // an adapter of a wider model does not fit
        Path other = tmp.resolve("other");
        ModelConfig arch = ModelConfig.builder("qwen2").hidden(16).layers(2).heads(4).kvHeads(2).intermediate(48)
                .vocab(300).build();
        TinyModelWriter.of(arch).seed(4).write(other);
        CheckpointException c = assertThrows(CheckpointException.class,
                () -> LoraMerge.export(other, adapter, tmp.resolve("o2")));
        assertTrue(c.getMessage().contains("lora_A.weight") && c.getMessage().contains("q_proj.weight"), c.getMessage());
    }
}
