package dev.finetune4j.train.recipes;

import dev.finetune4j.config.Stage;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.layers.Tensors;
import dev.finetune4j.model.loss.CausalLmLoss;
import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.train.Loss;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The recipe of pre-training ({@code pt}) and supervised fine-tuning ({@code sft}): next-token cross-entropy on the
 * label tokens. One optimizer step:
 * <ol>
 *   <li>collate the step's micro-batches and count their label tokens N (HuggingFace's {@code num_items_in_batch});</li>
 *   <li>for each micro-batch: forward, loss = Σ −log p(label) / N, backward (gradients add up over the window);</li>
 *   <li>the step loss is the sum of the micro-batch shares: the mean over all N label tokens.</li>
 * </ol>
 * The default loss runs fused with the LM head (chunked, never a full {@code [tokens × vocab]} buffer); a user's
 * {@link Loss} gets each label token's log-probability and returns its gradient.
 */
public final class LanguageModelingTrainer implements Trainer {

    @Override
    public Set<Stage> stages() {
        return Set.of(Stage.PT, Stage.SFT);
    }

    @Override
    public StepResult step(TrainingRun run, List<int[]> microBatches) {
        List<Batch> batches = new ArrayList<>(microBatches.size());
        long labelTokens = 0;
        for (int[] rows : microBatches) {
            Batch b = run.data().trainBatch(rows);
            batches.add(b);
            labelTokens += b.lossTokenCount();
        }
        CausalLM model = run.model();
        double loss = 0;
        long tokens = 0;
        for (Batch b : batches) {
            tokens += realTokens(b);
            if (labelTokens == 0) {
                continue; // nothing to learn from in this window (every label masked or cut off)
            }
            if (run.loss() instanceof Loss.CrossEntropy) {
                loss += model.lossAndBackward(b, labelTokens).loss();
            } else {
                loss += customLossAndBackward(model, run.loss(), b, labelTokens);
            }
        }
        return new StepResult(loss, tokens, Map.of());
    }

    /** Forward, the user's loss on label log-probabilities, and its gradient back through the LM head and model. */
    private static double customLossAndBackward(CausalLM model, Loss loss, Batch b, double normaliser) {
        try (ArrayPool.Activation a = model.pool().activate()) {
            int[] targets = CausalLmLoss.shiftedTargets(b.labels().data().asInt(), b.batchSize(), b.seqLen());
            long chunk = model.options().lossChunkElements();
            INDArray h = model.forward(b, true);
            double[] logProbs = CausalLmLoss.tokenLogProbs(model.lmHead(), h, targets, chunk);
            Loss.Value v = loss.compute(logProbs, targets, b.seqLen(), normaliser);
            INDArray dh = CausalLmLoss.tokenLogProbsBackward(model.lmHead(), h, targets, v.gradient(), chunk);
            model.backward(dh);
            Tensors.close(h, dh);
            return v.loss();
        }
    }

    /**
     * HuggingFace's evaluation loss: the mean over evaluation batches of each batch's token-mean loss, weighted by
     * the batch's number of rows.
     */
    @Override
    public double evaluate(TrainingRun run) {
        int n = run.data().evalRows();
        int bs = run.config().training().perDeviceEvalBatchSize();
        double weighted = 0;
        int rows = 0;
        for (int from = 0; from < n; from += bs) {
            int to = Math.min(n, from + bs);
            Batch b = run.data().evalBatch(from, to);
            if (b.lossTokenCount() == 0) {
                continue;
            }
            weighted += run.model().loss(b).loss() * (to - from);
            rows += to - from;
        }
        return rows == 0 ? Double.NaN : weighted / rows;
    }

    static long realTokens(Batch b) {
        long n = 0;
        for (int m : b.attentionMask().data().asInt()) {
            if (m != 0) {
                n++;
            }
        }
        return n;
    }
}
