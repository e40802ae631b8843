package dev.finetune4j.adapters.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.TestBatches;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.train.optim.AdamW;
import dev.finetune4j.train.optim.GradientClipping;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LoRA against the PyTorch reference: adapters written by either side, losses and gradients (see lora-golden/README.md).
 * DOUBLE comparisons allow 1e-8 relative: the reference keeps HF's float32 RoPE tables even in float64 mode.
 */
class LoraGoldenTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path modelDir;

    @BeforeAll
    static void writeModel() throws Exception {
        modelDir = tmp.resolve("model");
        LoraGoldenFixtures.writeModel(modelDir);
    }

    static Path resource(String name) throws Exception {
        return Path.of(LoraGoldenTest.class.getResource("/lora-golden/" + name).toURI());
    }

    static JsonNode golden(String name) throws Exception {
        return JSON.readTree(resource(name).toFile());
    }

    /** The golden tokens as a batch without padding (labels = ids). */
    static Batch batch(JsonNode golden) {
        JsonNode rows = golden.get("meta").get("tokens");
        int[][] ids = new int[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            ids[i] = new int[rows.get(i).size()];
            for (int j = 0; j < ids[i].length; j++) {
                ids[i][j] = rows.get(i).get(j).asInt();
            }
        }
        return TestBatches.plain(ids);
    }

    static CausalLM model(DataType dt) throws Exception {
        return CausalLM.load(modelDir, ModelOptions.defaults().withDtype(dt));
    }

    static void assertRel(double want, double got, double rel, String what) {
        assertEquals(want, got, rel * Math.max(1e-12, Math.abs(want)), what);
    }

    @Test
    void javaAdapterIsStillWhatTheJavaCodeWrites() throws Exception {
        CausalLM m = model(DataType.FLOAT);
        LoraAdapter lora = LoraGoldenFixtures.javaAdapter();
        lora.apply(m);
        try (SafetensorsFile f = SafetensorsFile.open(resource("java_adapter/adapter_model.safetensors"))) {
            assertEquals(2 * lora.layers().size(), f.tensors().size());
            for (Map.Entry<String, LoraModule> e : lora.layers().entrySet()) {
                assertEquals(f.load(PeftLoraFiles.keyA(e.getKey()), DataType.FLOAT), e.getValue().loraA().value());
                assertEquals(f.load(PeftLoraFiles.keyB(e.getKey()), DataType.FLOAT), e.getValue().loraB().value());
            }
        }
    }

    @Test
    void javaAdapterGivesTheReferenceLossAndGradientsInDouble() throws Exception {
        JsonNode g = golden("golden_java_adapter.json");
        CausalLM m = model(DataType.DOUBLE);
        Batch batch = batch(g);
        assertRel(g.get("base").get("loss").asDouble(), m.loss(batch).loss(), 1e-8, "base loss (is the tiny model "
                + "still the one of the golden files?)");
        LoraAdapter lora = LoraAdapter.load(resource("java_adapter"), true, 0);
        lora.apply(m);
        JsonNode ref = g.get("lora");
        assertEquals(ref.get("scaling").asDouble(), lora.layers().values().iterator().next().scaling());
        double loss = m.lossAndBackward(batch, 0).loss();
        assertRel(ref.get("loss").asDouble(), loss, 1e-8, "LoRA loss");
        double total = 0;
        for (Map.Entry<String, LoraModule> e : lora.layers().entrySet()) {
            JsonNode gm = ref.get("grads").get(e.getKey());
            INDArray ga = e.getValue().loraA().grad();
            INDArray gb = e.getValue().loraB().grad();
            assertRel(gm.get("A_norm").asDouble(), ga.norm2Number().doubleValue(), 1e-7, e.getKey() + " |dA|");
            assertRel(gm.get("B_norm").asDouble(), gb.norm2Number().doubleValue(), 1e-7, e.getKey() + " |dB|");
            for (int i = 0; i < 4; i++) {
                assertEquals(gm.get("A_first").get(i).asDouble(), ga.reshape(ga.length()).getDouble(i), 1e-8);
                assertEquals(gm.get("B_first").get(i).asDouble(), gb.reshape(gb.length()).getDouble(i), 1e-8);
            }
            total += Math.pow(ga.norm2Number().doubleValue(), 2) + Math.pow(gb.norm2Number().doubleValue(), 2);
        }
        assertRel(ref.get("grad_total_norm").asDouble(), Math.sqrt(total), 1e-7, "total gradient norm");
    }

    @Test
    void adamWStepsWithClippingAndWeightDecayFollowTheReference() throws Exception {
        JsonNode g = golden("golden_java_adapter.json");
        JsonNode train = g.get("train");
        CausalLM m = model(DataType.DOUBLE);
        Batch batch = batch(g);
        LoraAdapter lora = LoraAdapter.load(resource("java_adapter"), true, 0);
        lora.apply(m);
        AdamW opt = AdamW.of(lora.trainableParameters(), train.get("weight_decay").asDouble());
        double lr = train.get("lr").asDouble();
        for (JsonNode step : train.get("steps")) {
            opt.zeroGrad();
            double loss = m.lossAndBackward(batch, 0).loss();
            double norm = GradientClipping.clip(opt.parameters(), train.get("clip").asDouble());
            opt.step(lr);
            int k = step.get("step").asInt();
            assertRel(step.get("loss_before").asDouble(), loss, 1e-8, "loss before step " + k);
            assertRel(step.get("grad_norm_before_clip").asDouble(), norm, 1e-7, "grad norm at step " + k);
        }
        assertRel(train.get("final_loss").asDouble(), m.loss(batch).loss(), 1e-8, "loss after the last step");
        // the trained adapter, saved and read back, still gives that loss
        Path out = tmp.resolve("trained");
        lora.save(out, "tiny-qwen2");
        CausalLM fresh = model(DataType.DOUBLE);
        LoraAdapter.load(out, false, 0).apply(fresh);
        assertRel(train.get("final_loss").asDouble(), fresh.loss(batch).loss(), 1e-8, "saved trained adapter");
        for (Map.Entry<String, JsonNode> e : iterable(train.get("trained_adapter_stats"))) {
            Parameter p = m.namedParameters().get(e.getKey().substring(PeftLoraFiles.KEY_PREFIX.length()));
            assertRel(e.getValue().get("sum").asDouble(), p.value().sumNumber().doubleValue(), 1e-6, e.getKey());
            assertRel(e.getValue().get("sumsq").asDouble(), p.value().mul(p.value()).sumNumber().doubleValue(), 1e-7,
                    e.getKey());
        }
    }

    @Test
    void torchAdapterLoadsWithIdenticalTensorsAndGivesTheReferenceLoss() throws Exception {
        JsonNode g = golden("golden_torch_adapter.json");
        CausalLM m = model(DataType.FLOAT);
        Batch batch = batch(g);
        LoraAdapter lora = LoraAdapter.load(resource("torch_adapter"), true, 0);
        lora.apply(m);
        assertEquals(6, lora.layers().size());
        try (SafetensorsFile f = SafetensorsFile.open(resource("torch_adapter/adapter_model.safetensors"))) {
            for (Map.Entry<String, LoraModule> e : lora.layers().entrySet()) {
                assertEquals(f.load(PeftLoraFiles.keyA(e.getKey()), DataType.FLOAT), e.getValue().loraA().value());
                assertEquals(f.load(PeftLoraFiles.keyB(e.getKey()), DataType.FLOAT), e.getValue().loraB().value());
            }
        }
        JsonNode ref = g.get("lora");
        for (Map.Entry<String, JsonNode> e : iterable(ref.get("init_stats"))) {
            Parameter p = m.namedParameters().get(e.getKey().substring(PeftLoraFiles.KEY_PREFIX.length()));
            assertRel(e.getValue().get("sum").asDouble(), p.value().castTo(DataType.DOUBLE).sumNumber().doubleValue(),
                    1e-6, e.getKey());
        }
        double loss = m.lossAndBackward(batch, 0).loss();
        assertRel(ref.get("loss").asDouble(), loss, 1e-5, "LoRA loss in FLOAT");
        for (Map.Entry<String, LoraModule> e : lora.layers().entrySet()) {
            JsonNode gm = ref.get("grads").get(e.getKey());
            assertRel(gm.get("A_norm").asDouble(), e.getValue().loraA().grad().norm2Number().doubleValue(), 1e-4,
                    e.getKey() + " |dA|");
            assertRel(gm.get("B_norm").asDouble(), e.getValue().loraB().grad().norm2Number().doubleValue(), 1e-4,
                    e.getKey() + " |dB|");
        }
    }

    @Test
    void adapterSavedByJavaRoundTripsTheReferenceFixture() throws Exception {
        CausalLM m = model(DataType.FLOAT);
        LoraAdapter lora = LoraAdapter.load(resource("torch_adapter"), false, 0);
        lora.apply(m);
        Path out = tmp.resolve("resaved");
        lora.save(out, "tiny-qwen2");
        try (SafetensorsFile a = SafetensorsFile.open(resource("torch_adapter/adapter_model.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            for (String k : a.tensors().keySet()) {
                assertTrue(java.util.Arrays.equals(a.loadBytes(k), b.loadBytes(k)), k);
            }
        }
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode object) {
        return object::fields;
    }
}
