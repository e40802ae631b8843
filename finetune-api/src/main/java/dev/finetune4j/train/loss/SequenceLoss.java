package dev.finetune4j.train.loss;

/**
 * The sequence-level loss SPI: a loss that depends on the model only through per-sequence statistics (the sum
 * of label-token log-probs and the label-token count of each row), as the preference stages do.
 *
 * <p>The engine's side of the contract, for one batch:
 * <ol>
 *   <li>run the policy forward and reduce each row to its label-token log-prob sum and count
 *       ({@link SequenceLogProbs});</li>
 *   <li>if {@link #needsReference()}, run the reference model (a separate {@code ref_model}, or the same model
 *       with its adapters off) without gradient over the same rows and take its sums;</li>
 *   <li>call {@link #compute} and backpropagate: every label token t of row i receives
 *       {@code ∂loss/∂logp_t = result.gradient(i)}, which flows into the logits through log-softmax.</li>
 * </ol>
 * A loss must be a pure function of the batch (no hidden state), so that a step can be recomputed, and must
 * return {@code ∂loss/∂sum} for every row (0 where the row does not influence the loss).
 *
 * @param <B> the batch statistics it reads: {@link PairedSequences} (stage {@code dpo}) or {@link KtoSequences}
 *            (stage {@code kto})
 */
public interface SequenceLoss<B> {
    /** True when {@link #compute} reads the reference model's log-probs. */
    boolean needsReference();

    /** Loss, per-row gradients w.r.t. the policy sums, and metrics of one batch. */
    SequenceLossResult compute(B batch);

    /** A short name for logs, e.g. {@code sigmoid}. */
    default String name() {
        return getClass().getSimpleName();
    }
}
