package dev.finetune4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.data.Batch;
import dev.finetune4j.model.loss.CausalLmLoss;
import dev.finetune4j.model.tiny.RandomWeights;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.testing.GradientCheck;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The whole model in DOUBLE: sampled entries of every parameter against finite differences of the loss. */
class CausalLMGradientTest {
    static final int IGN = -100;

    static ModelConfig config(String family) {
        ModelConfig.Builder b = ModelConfig.builder(family).hidden(16).layers(2).heads(4).kvHeads(2).intermediate(20)
                .vocab(17).ropeTheta(100.0);
        return switch (family) {
            case "qwen3" -> b.headDim(6).attentionBias(true).build();          // q/k norm, head_dim 6 != 16/4
            case "qwen2" -> b.build();                                          // q/k/v bias, tied
            case "mistral" -> b.kvHeads(1).slidingWindow(3).build();            // MQA, window < seq
            default -> b.mlpBias(true).ropeScaling(RopeScaling.llama3(4, 1, 4, 16)).build(); // untied
        };
    }

    /** Row 0: two packed examples then right padding; row 1: left padding then one example. */
    static Batch packedBatch() {
        int[][] ids = {{1, 5, 9, 2, 7, 7, 3, 0, 0}, {0, 0, 4, 8, 15, 16, 2, 11, 6}};
        int[][] labels = {{IGN, 5, 9, 2, IGN, 7, 3, IGN, IGN}, {IGN, IGN, IGN, 8, 15, 16, 2, 11, 6}};
        int[][] mask = {{1, 1, 1, 1, 2, 2, 2, 0, 0}, {0, 0, 1, 1, 1, 1, 1, 1, 1}};
        int[][] pos = {{0, 1, 2, 3, 0, 1, 2, 0, 0}, {0, 0, 0, 1, 2, 3, 4, 5, 6}};
        return TestBatches.of(ids, labels, mask, pos);
    }

    static CausalLM model(String family, ModelOptions options) throws Exception {
        return CausalLM.create(config(family), options, new RandomWeights(7, 0.3, 0.2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "mistral"})
    void everyParameterMatchesFiniteDifferences(String family) throws Exception {
        CausalLM m = model(family, ModelOptions.defaults().withDtype(DataType.DOUBLE).withLossChunkElements(17 * 4));
        m.namedParameters().values().forEach(p -> p.setTrainable(true));
        Batch batch = packedBatch();
        double norm = 16; // a normaliser larger than this batch's 11 targets (gradient accumulation)
        CausalLmLoss.Result r = m.lossAndBackward(batch, norm);
        assertEquals(11, r.tokens());
        for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            assertTrue(p.grad() != null, e.getKey() + " got no gradient");
            GradientCheck.check(family + " " + e.getKey(), () -> m.loss(batch).nllSum() / norm, p.value(), p.grad(),
                    4, 1e-5, 1e-9);
        }
    }

    @Test
    void activationCheckpointingGivesTheSameGradients() throws Exception {
        Map<String, INDArray> plain = grads(model("qwen3", ModelOptions.defaults().withDtype(DataType.DOUBLE)));
        Map<String, INDArray> ckpt = grads(model("qwen3", ModelOptions.defaults().withDtype(DataType.DOUBLE)
                .withActivationCheckpointing(true)));
        assertEquals(plain.keySet(), ckpt.keySet());
        plain.forEach((k, v) -> assertEquals(0.0, v.sub(ckpt.get(k)).amaxNumber().doubleValue(), 1e-12, k));
    }

    private static Map<String, INDArray> grads(CausalLM m) {
        m.namedParameters().values().forEach(p -> p.setTrainable(true));
        m.lossAndBackward(packedBatch(), 0);
        Map<String, INDArray> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> out.put(k, p.grad().dup()));
        return out;
    }

    @Test
    void frozenWeightsGetNoGradientAndTrainableNormsDo() throws Exception {
        CausalLM m = model("qwen2", ModelOptions.defaults().withDtype(DataType.DOUBLE));
        Parameter norm = m.namedParameters().get("model.layers.0.post_attention_layernorm.weight");
        norm.setTrainable(true);
        m.lossAndBackward(packedBatch(), 0);
        m.namedParameters().forEach((k, p) -> {
            if (p != norm) {
                assertNull(p.grad(), k);
            }
        });
        GradientCheck.check("norm only", () -> m.loss(packedBatch()).loss(), norm.value(), norm.grad(), 12, 1e-5);
    }

    @Test
    void packedExamplesAreIndependentOfEachOther() throws Exception {
        CausalLM m = model("qwen3", ModelOptions.defaults().withDtype(DataType.DOUBLE));
        INDArray packed = m.logits(packedBatch());
        // example 2 of row 0 alone: ids 7 7 3 at positions 0..2
        INDArray alone = m.logits(TestBatches.plain(new int[][] {{7, 7, 3}}));
        for (int t = 0; t < 3; t++) {
            for (int v = 0; v < 17; v++) {
                assertEquals(alone.getDouble(0, t, v), packed.getDouble(0, 4 + t, v), 1e-12);
            }
        }
        // the left-padded row equals the same tokens without padding
        INDArray unpadded = m.logits(TestBatches.plain(new int[][] {{4, 8, 15, 16, 2, 11, 6}}));
        for (int t = 0; t < 7; t++) {
            for (int v = 0; v < 17; v++) {
                assertEquals(unpadded.getDouble(0, t, v), packed.getDouble(1, 2 + t, v), 1e-12);
            }
        }
    }
}
