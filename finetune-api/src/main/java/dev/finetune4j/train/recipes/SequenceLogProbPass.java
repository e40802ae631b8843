package dev.finetune4j.train.recipes;

import dev.finetune4j.data.Batch;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.layers.Tensors;
import dev.finetune4j.model.loss.CausalLmLoss;
import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.train.loss.SequenceLogProbs;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A batch reduced to one number per row: the sum of the log-probabilities of its label tokens (labels ≠ −100,
 * after the shift), what the preference losses read (FORMATS.md §G).
 *
 * <p>{@link #sums} runs a forward without gradient (the reference model, KTO's KL rows). {@link #forward} runs a
 * training forward and keeps the final hidden states; {@link #backward} then takes {@code ∂loss/∂sum} per row,
 * spreads it onto the row's label tokens and back-propagates through the LM head and the model. Nothing else may
 * run the model between the two (a forward clears the training caches).
 */
public final class SequenceLogProbPass {
    private final CausalLM model;
    private final Batch batch;
    private final int[] targets;
    private INDArray hidden;
    private final SequenceLogProbs logProbs;

    private SequenceLogProbPass(CausalLM model, Batch batch, int[] targets, INDArray hidden, double[] sums) {
        this.model = model;
        this.batch = batch;
        this.targets = targets;
        this.hidden = hidden;
        this.logProbs = new SequenceLogProbs(sums, labelCounts(targets, batch.batchSize(), batch.seqLen()));
    }

    /** The training forward of {@code batch}: per-row sums and counts, kept for {@link #backward}. */
    public static SequenceLogProbPass forward(CausalLM model, Batch batch) {
        try (ArrayPool.Activation a = model.pool().activate()) {
            int[] targets = targets(batch);
            INDArray h = model.forward(batch, true);
            double[] sums = CausalLmLoss.sequenceLogProbs(model.lmHead(), h, targets, batch.seqLen(),
                    model.options().lossChunkElements());
            return new SequenceLogProbPass(model, batch, targets, h, sums);
        }
    }

    /** Per-row label log-prob sums of {@code batch} without gradient (rows without labels give 0). */
    public static double[] sums(CausalLM model, Batch batch) {
        try (ArrayPool.Activation a = model.pool().activate()) {
            int[] targets = targets(batch);
            INDArray h = model.forward(batch, false);
            double[] sums = CausalLmLoss.sequenceLogProbs(model.lmHead(), h, targets, batch.seqLen(),
                    model.options().lossChunkElements());
            Tensors.close(h);
            return sums;
        }
    }

    /** Per-row label log-prob sums and label counts of {@code batch} without gradient (evaluation). */
    public static SequenceLogProbs logProbs(CausalLM model, Batch batch) {
        return new SequenceLogProbs(sums(model, batch),
                labelCounts(targets(batch), batch.batchSize(), batch.seqLen()));
    }

    /** The batch's labels after the shift: position t is scored against {@code labels[t + 1]}. */
    public static int[] targets(Batch batch) {
        return CausalLmLoss.shiftedTargets(batch.labels().dup('c').data().asInt(), batch.batchSize(),
                batch.seqLen());
    }

    /** Label tokens per row of shifted {@code targets}. */
    public static int[] labelCounts(int[] targets, int rows, int seq) {
        int[] counts = new int[rows];
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] != EncodedExample.IGNORE_INDEX) {
                counts[i / seq]++;
            }
        }
        return counts;
    }

    /** The policy's sums and label counts of the batch's rows. */
    public SequenceLogProbs logProbs() {
        return logProbs;
    }

    public Batch batch() {
        return batch;
    }

    /**
     * Back-propagates {@code ∂loss/∂sum} of each row: every label token of row i gets {@code perRow[i]} as the
     * gradient of its log-probability. Adds into the trainable parameters' gradients; the pass is spent after it.
     */
    public void backward(double[] perRow) {
        if (hidden == null) {
            throw new IllegalStateException("backward was already called on this pass");
        }
        if (perRow.length != batch.batchSize()) {
            throw new IllegalArgumentException("one gradient per row expected (" + batch.batchSize() + "), got "
                    + perRow.length);
        }
        try (ArrayPool.Activation a = model.pool().activate()) {
            INDArray dh = CausalLmLoss.sequenceLogProbsBackward(model.lmHead(), hidden, targets, batch.seqLen(),
                    perRow, model.options().lossChunkElements());
            model.backward(dh);
            Tensors.close(hidden, dh);
            hidden = null;
        }
    }
}
