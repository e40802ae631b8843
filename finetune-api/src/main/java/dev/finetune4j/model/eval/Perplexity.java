package dev.finetune4j.model.eval;

import dev.finetune4j.data.Batch;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.layers.Tensors;
import dev.finetune4j.model.loss.CausalLmLoss;
import dev.finetune4j.nn.ArrayPool;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Perplexity of a model over encoded examples (LLaMA-Factory's {@code cal_ppl}): next-token negative
 * log-likelihood of every label token ({@code labels[t] != -100}, scored from position t-1).
 */
public final class Perplexity {
    private Perplexity() {
    }

    /**
     * @param meanNll                mean negative log-likelihood over all label tokens
     * @param perplexity             {@code exp(meanNll)}
     * @param tokens                 label tokens scored
     * @param examples               examples with at least one label token
     * @param meanExamplePerplexity  the mean over examples of {@code exp(mean nll of the example)} — the "average
     *                               perplexity" LLaMA-Factory's cal_ppl prints
     */
    public record Result(double meanNll, double perplexity, long tokens, int examples, double meanExamplePerplexity) {
    }

    /** Evaluates {@code examples} in batches of {@code batchSize} (padded with {@code padId}), longest first. */
    public static Result evaluate(CausalLM model, List<EncodedExample> examples, int batchSize, int padId) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1");
        }
        List<EncodedExample> sorted = new ArrayList<>(examples);
        sorted.sort(Comparator.comparingInt(EncodedExample::length).reversed());
        double nllSum = 0;
        long tokens = 0;
        double pplSum = 0;
        int counted = 0;
        for (int start = 0; start < sorted.size(); start += batchSize) {
            List<EncodedExample> rows = sorted.subList(start, Math.min(sorted.size(), start + batchSize));
            Batch batch = collate(rows, padId);
            int seq = batch.seqLen();
            int[] labels = batch.labels().dup().data().asInt();
            int[] targets = CausalLmLoss.shiftedTargets(labels, rows.size(), seq);
            double[] logp;
            try (ArrayPool.Activation a = model.pool().activate()) {
                INDArray h = model.forward(batch, false);
                logp = CausalLmLoss.tokenLogProbs(model.lmHead(), h, targets, model.options().lossChunkElements());
                Tensors.close(h);
            }
            for (int r = 0; r < rows.size(); r++) {
                double s = 0;
                int n = 0;
                for (int t = 0; t < seq; t++) {
                    if (targets[r * seq + t] != EncodedExample.IGNORE_INDEX) {
                        s -= logp[r * seq + t];
                        n++;
                    }
                }
                if (n > 0) {
                    nllSum += s;
                    tokens += n;
                    pplSum += Math.exp(s / n);
                    counted++;
                }
            }
        }
        double mean = tokens > 0 ? nllSum / tokens : Double.NaN;
        return new Result(mean, Math.exp(mean), tokens, counted, counted > 0 ? pplSum / counted : Double.NaN);
    }

    /** Right padding to the longest row: pad id, labels -100, mask 0, positions 0.. per row. */
    static Batch collate(List<EncodedExample> rows, int padId) {
        int len = rows.stream().mapToInt(EncodedExample::length).max().orElse(1);
        int[][] ids = new int[rows.size()][len];
        int[][] labels = new int[rows.size()][len];
        int[][] mask = new int[rows.size()][len];
        int[][] pos = new int[rows.size()][len];
        for (int r = 0; r < rows.size(); r++) {
            int[] ei = rows.get(r).inputIds();
            int[] el = rows.get(r).labels();
            java.util.Arrays.fill(ids[r], padId);
            java.util.Arrays.fill(labels[r], EncodedExample.IGNORE_INDEX);
            System.arraycopy(ei, 0, ids[r], 0, ei.length);
            System.arraycopy(el, 0, labels[r], 0, el.length);
            for (int t = 0; t < ei.length; t++) {
                mask[r][t] = 1;
                pos[r][t] = t;
            }
        }
        return new Batch(Nd4j.createFromArray(ids), Nd4j.createFromArray(labels), Nd4j.createFromArray(mask),
                Nd4j.createFromArray(pos));
    }
}
