package dev.finetune4j.model.generate;

import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.KvCache;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Autoregressive generation for one sequence with a KV cache: the prompt runs once (prefill), then each new token
 * is one single-row forward over the cached keys and values.
 *
 * <pre>{@code
 * Generator gen = new Generator(model);
 * GenerationResult r = gen.generate(promptIds,
 *         GenerationConfig.greedy(256, Set.copyOf(model.config().eosTokenIds()))
 *                 .withStopTokenIds(Set.of(imEndId)),
 *         id -> System.out.print(tokenizer.decode(id)));
 * }</pre>
 */
public final class Generator {
    private final CausalLM model;

    public Generator(CausalLM model) {
        this.model = model;
    }

    /** Generates after {@code prompt}; {@code streamer} (may be null) sees every chosen token at once. */
    public GenerationResult generate(int[] prompt, GenerationConfig config, TokenStreamer streamer) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must have at least one token");
        }
        int vocab = model.config().vocabSize();
        SamplingConfig s = config.sampling();
        SplittableRandom random = new SplittableRandom(s.seed());
        BitSet seen = new BitSet(vocab);
        for (int id : prompt) {
            seen.set(id);
        }
        int[] out = new int[config.maxNewTokens()];
        int n = 0;
        GenerationResult.StopReason reason = GenerationResult.StopReason.MAX_TOKENS;
        try (KvCache cache = new KvCache(model.config(), prompt.length + config.maxNewTokens(), model.dataType())) {
            double[] logits = lastLogits(model.forward(prompt, cache));
            while (true) {
                int next = choose(logits, s, seen, random);
                out[n++] = next;
                seen.set(next);
                if (streamer != null) {
                    streamer.onToken(next);
                }
                if (config.eosTokenIds().contains(next)) {
                    reason = GenerationResult.StopReason.EOS;
                    break;
                }
                if (config.stopTokenIds().contains(next)) {
                    reason = GenerationResult.StopReason.STOP_TOKEN;
                    break;
                }
                if (n == config.maxNewTokens()) {
                    break;
                }
                logits = lastLogits(model.forward(new int[] {next}, cache));
            }
        }
        return new GenerationResult(Arrays.copyOf(out, n), reason, prompt.length);
    }

    /** Logits of the last row of {@code hidden} (which is closed), as doubles. */
    private double[] lastLogits(INDArray hidden) {
        long last = hidden.size(0) - 1;
        INDArray row = hidden.get(NDArrayIndex.interval(last, last + 1), NDArrayIndex.all());
        INDArray logits = model.logitsOf(row);
        double[] v = logits.toDoubleVector();
        model.release(logits, hidden);
        return v;
    }

    /** Picks the next token from {@code logits} (modified in place) as {@link SamplingConfig} describes. */
    static int choose(double[] logits, SamplingConfig s, BitSet seen, SplittableRandom random) {
        if (s.repetitionPenalty() != 1.0) {
            for (int id = seen.nextSetBit(0); id >= 0 && id < logits.length; id = seen.nextSetBit(id + 1)) {
                logits[id] = logits[id] > 0 ? logits[id] / s.repetitionPenalty() : logits[id] * s.repetitionPenalty();
            }
        }
        if (!s.doSample()) {
            return argmax(logits);
        }
        int v = logits.length;
        for (int i = 0; i < v; i++) {
            logits[i] /= s.temperature();
        }
        // candidates by descending logit (ties: lower id first); with top-k only the best k are sorted
        java.util.Comparator<Integer> byLogit = (a, b) -> logits[a] != logits[b]
                ? Double.compare(logits[b], logits[a]) : Integer.compare(a, b);
        int keep = s.topK() > 0 ? Math.min(s.topK(), v) : v;
        Integer[] order;
        if (keep < v) {
            java.util.PriorityQueue<Integer> heap = new java.util.PriorityQueue<>(keep + 1, byLogit.reversed());
            for (int i = 0; i < v; i++) {
                heap.add(i);
                if (heap.size() > keep) {
                    heap.poll();
                }
            }
            order = heap.toArray(new Integer[0]);
        } else {
            order = new Integer[v];
            for (int i = 0; i < v; i++) {
                order[i] = i;
            }
        }
        Arrays.sort(order, byLogit);
        double max = logits[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp(logits[order[i]] - max);
            sum += p[i];
        }
        if (s.topP() < 1.0) {
            double cum = 0;
            int k = 0;
            while (k < keep) {
                cum += p[k] / sum;
                k++;
                if (cum >= s.topP()) {
                    break;
                }
            }
            keep = Math.max(1, k);
            sum = 0;
            for (int i = 0; i < keep; i++) {
                sum += p[i];
            }
        }
        double u = random.nextDouble() * sum;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[i];
            if (u < acc) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
