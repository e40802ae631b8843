package dev.finetune4j.model.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.KvCache;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.TestBatches;
import dev.finetune4j.model.tiny.RandomWeights;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class GeneratorTest {
    static CausalLM model(String family) throws Exception {
        ModelConfig.Builder b = ModelConfig.builder(family).hidden(32).layers(2).heads(4).kvHeads(2).intermediate(48)
                .vocab(64);
        if (family.equals("mistral")) {
            b.slidingWindow(4);
        }
        if (family.equals("qwen3")) {
            b.headDim(12);
        }
        return CausalLM.create(b.build(), ModelOptions.defaults(), new RandomWeights(11, 0.3, 0.1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "mistral"})
    void cachedLogitsEqualFullSequenceLogits(String family) throws Exception {
        CausalLM m = model(family);
        int[] ids = {3, 17, 42, 5, 9, 60, 1, 33, 8, 8, 21};
        INDArray full = m.logits(TestBatches.plain(new int[][] {ids}));
        try (KvCache cache = new KvCache(m.config(), ids.length, m.dataType())) {
            INDArray h = m.forward(java.util.Arrays.copyOf(ids, 4), cache); // prefill 4, then one at a time
            List<INDArray> rows = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                rows.add(m.lmHead().forward(h.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all()), false));
            }
            for (int t = 4; t < ids.length; t++) {
                rows.add(m.lmHead().forward(m.forward(new int[] {ids[t]}, cache), false));
            }
            assertEquals(ids.length, cache.length());
            for (int t = 0; t < ids.length; t++) {
                INDArray want = full.get(NDArrayIndex.point(0), NDArrayIndex.point(t), NDArrayIndex.all());
                double diff = rows.get(t).reshape(want.shape()).sub(want).amaxNumber().doubleValue();
                assertTrue(diff < 1e-5, family + " position " + t + ": " + diff);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "mistral"})
    void greedyWithCacheEqualsArgmaxOverFullForward(String family) throws Exception {
        CausalLM m = model(family);
        int[] prompt = {5, 9, 13, 2};
        GenerationResult r = new Generator(m).generate(prompt, GenerationConfig.greedy(12, Set.of()), null);
        assertEquals(GenerationResult.StopReason.MAX_TOKENS, r.stopReason());
        int[] seq = new int[prompt.length + 12];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(r.tokens(), 0, seq, prompt.length, 12);
        INDArray full = m.logits(TestBatches.plain(new int[][] {seq}));
        for (int i = 0; i < 12; i++) {
            INDArray row = full.get(NDArrayIndex.point(0), NDArrayIndex.point(prompt.length - 1 + i), NDArrayIndex.all());
            assertEquals(row.argMax().getInt(0), r.tokens()[i], "token " + i);
        }
    }

    @Test
    void stopsOnEosAndStopTokensAndStreamsEveryToken() throws Exception {
        CausalLM m = model("qwen2");
        int[] prompt = {5, 9, 13, 2};
        int[] free = new Generator(m).generate(prompt, GenerationConfig.greedy(8, Set.of()), null).tokens();
        List<Integer> streamed = new ArrayList<>();
        GenerationResult eos = new Generator(m).generate(prompt, GenerationConfig.greedy(8, Set.of(free[2])),
                streamed::add);
        assertEquals(GenerationResult.StopReason.EOS, eos.stopReason());
        int stopAt = 0;
        while (free[stopAt] != free[2]) {
            stopAt++;
        }
        assertArrayEquals(java.util.Arrays.copyOf(free, stopAt + 1), eos.tokens());
        assertEquals(streamed, java.util.Arrays.stream(eos.tokens()).boxed().toList());
        GenerationResult stop = new Generator(m).generate(prompt,
                GenerationConfig.greedy(8, Set.of()).withStopTokenIds(Set.of(free[0])), null);
        assertEquals(GenerationResult.StopReason.STOP_TOKEN, stop.stopReason());
        assertArrayEquals(new int[] {free[0]}, stop.tokens());
        assertEquals(0, stop.contentTokens().length);
    }

    @Test
    void samplingIsSeededAndTopKOneIsGreedy() throws Exception {
        CausalLM m = model("llama");
        int[] prompt = {1, 2, 3};
        GenerationConfig base = GenerationConfig.greedy(10, Set.of());
        int[] a = new Generator(m).generate(prompt, base.withSampling(SamplingConfig.sample(1.5, 0, 1.0, 42)), null).tokens();
        int[] b = new Generator(m).generate(prompt, base.withSampling(SamplingConfig.sample(1.5, 0, 1.0, 42)), null).tokens();
        int[] c = new Generator(m).generate(prompt, base.withSampling(SamplingConfig.sample(1.5, 0, 1.0, 43)), null).tokens();
        assertArrayEquals(a, b);
        assertTrue(!java.util.Arrays.equals(a, c), "another seed gives another text");
        int[] greedy = new Generator(m).generate(prompt, base, null).tokens();
        assertArrayEquals(greedy, new Generator(m).generate(prompt,
                base.withSampling(SamplingConfig.sample(0.7, 1, 1.0, 5)), null).tokens());
        assertArrayEquals(greedy, new Generator(m).generate(prompt,
                base.withSampling(SamplingConfig.sample(1.0, 0, 1e-9, 5)), null).tokens());
    }

    @Test
    void repetitionPenaltyAsHuggingFace() {
        BitSet seen = new BitSet();
        seen.set(0);
        seen.set(2);
        double[] logits = {2.0, 1.9, -1.0, -1.5};
        int pick = Generator.choose(logits, SamplingConfig.greedy().withRepetitionPenalty(2.0), seen, new SplittableRandom(1));
        assertEquals(1, pick);
        assertArrayEquals(new double[] {1.0, 1.9, -2.0, -1.5}, logits, 0.0);
    }

    @Test
    void samplingFollowsTheTemperedTopKTopPDistribution() {
        double[] base = {1.0, 0.5, 0.0, -1.0, -3.0};
        SamplingConfig s = SamplingConfig.sample(0.8, 4, 0.9, 0);
        // tempered softmax of the 4 best, then the smallest prefix reaching 0.9
        double[] p = new double[4];
        double z = 0;
        for (int i = 0; i < 4; i++) {
            p[i] = Math.exp(base[i] / 0.8);
            z += p[i];
        }
        double cum = 0;
        int keep = 0;
        while (cum < 0.9) {
            cum += p[keep++] / z;
        }
        double kept = 0;
        for (int i = 0; i < keep; i++) {
            kept += p[i];
        }
        SplittableRandom r = new SplittableRandom(9);
        int[] counts = new int[5];
        int n = 40000;
        for (int i = 0; i < n; i++) {
            counts[Generator.choose(base.clone(), s, new BitSet(), r)]++;
        }
        for (int i = 0; i < 5; i++) {
            double want = i < keep ? p[i] / kept : 0.0;
            assertEquals(want, counts[i] / (double) n, 0.01, "token " + i);
        }
    }
}
