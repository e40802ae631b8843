package dev.finetune4j.train.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.adapters.lora.LoraAdapter;
import dev.finetune4j.adapters.lora.LoraConfig;
import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.tiny.RandomWeights;
import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.Linear;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.quant.Quantizers;
import dev.finetune4j.train.FreezeTuning;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** The estimate's parameter and weight accounting equals what the engine builds; activations as hand-computed. */
class MemoryEstimatorTest {
    static final ModelConfig TINY = ModelConfig.builder("qwen2").hidden(64).layers(3).heads(4).kvHeads(2)
            .intermediate(128).vocab(500).build();

    @ParameterizedTest
    @EnumSource(TuningMethod.class)
    void weightsAndTrainableParametersAreTheEnginesOwn(TuningMethod method) throws Exception {
        CausalLM.LinearWeights store = switch (method) {
            case QLORA_4 -> Quantizers.baseWeights(Quantizers.nf4());
            case QLORA_8 -> Quantizers.baseWeights(Quantizers.int8());
            default -> CausalLM.LinearWeights.dense();
        };
        CausalLM model = CausalLM.create(TINY, ModelOptions.defaults(), new RandomWeights(0, 0.02, 0.1), store);
        List<Parameter> trainable;
        switch (method) {
            case FULL -> {
                model.namedParameters().values().forEach(p -> p.setTrainable(true));
                trainable = model.trainableParameters();
            }
            case FREEZE -> trainable = FreezeTuning.apply(model, 3, FineTuneConfig.builder()
                    .modelNameOrPath(Path.of(".")).outputDir(Path.of("o")).dataset("x").template("qwen").build()
                    .method());
            default -> {
                LoraAdapter lora = LoraAdapter.create(LoraConfig.of(8, 16, 0, "all"), 1);
                lora.apply(model);
                trainable = lora.trainableParameters();
            }
        }
        long bytes = 0;
        long params = 0;
        for (Parameter p : model.namedParameters().values()) {
            bytes += 4 * p.numel();
            params += p.numel();
        }
        for (Linear l : model.linearLayers().values()) {
            Linear base = l instanceof dev.finetune4j.adapters.lora.LoraModule m ? m.base() : l;
            if (((DenseLinear) base).weight().parameter().isEmpty()) {
                bytes += ((DenseLinear) base).weight().storageBytes();
                params += base.outFeatures() * base.inFeatures();
            }
        }
        MemoryEstimate e = MemoryEstimator.estimate(TINY, method, MemoryEstimator.Options.of(2, 16));
        assertEquals(params, e.totalParameters());
        assertEquals(bytes, e.weights());
        long n = trainable.stream().mapToLong(Parameter::numel).sum();
        assertEquals(n, e.trainableParameters());
        assertEquals(4 * n, e.gradients());
        assertEquals(8 * n, e.optimizer());
    }

    @Test
    void activationsAsCounted() {
        // batch 2 × cutoff 16 = 32 rows; hidden 64, 4 heads of 16 (kv 2), inter 128, vocab 500, LoRA r 8, no dropout.
        // per layer: 4·32·64 (norm outputs and inputs) + 2·32 (inverse rms) + 2·32·64 (q, attention output)
        //   + 2·32·32 (k, v) + 2·4·16·16 (probabilities) + 3·32·128 (gate, up, act) + 7·32·8 (LoRA)
        //   = 8192 + 64 + 4096 + 2048 + 2048 + 12288 + 1792 = 30528 floats; × 3 layers = 91584;
        // tail: 3·32·64 + 32 (final norm, output, loss gradient) + 32·(500 + 64) (the logits chunk, all 32 rows)
        //   = 6144 + 32 + 18048 = 24224; total 115808 floats · 4 bytes · 1.06 (pool rounding) = 491025
        MemoryEstimate e = MemoryEstimator.estimate(TINY, TuningMethod.LORA, MemoryEstimator.Options.of(2, 16));
        assertEquals((long) (1.06 * 4 * 115808), e.activations());
        // activation checkpointing keeps each layer's input and one layer's set: 3·32·64 + 30528 + 24224
        MemoryEstimate c = MemoryEstimator.estimate(TINY, TuningMethod.LORA, MemoryEstimator.Options.of(2, 16)
                .withActivationCheckpointing(true));
        assertEquals((long) (1.06 * 4 * (3 * 32 * 64 + 30528 + 24224)), c.activations());
        assertTrue(c.total() < e.total());
    }

    @Test
    void ruleOfThumbIsLlamaFactorysTable() {
        long b7 = 7_000_000_000L;
        assertEquals(16e9, MemoryEstimator.ruleOfThumb(TuningMethod.LORA, 8_000_000_000L), 1);
        assertEquals(126e9, MemoryEstimator.ruleOfThumb(TuningMethod.FULL, b7), 1);
        assertEquals(7e9, MemoryEstimator.ruleOfThumb(TuningMethod.QLORA_8, b7), 1);
        assertEquals(3.5e9, MemoryEstimator.ruleOfThumb(TuningMethod.QLORA_4, b7), 1);
    }
}
