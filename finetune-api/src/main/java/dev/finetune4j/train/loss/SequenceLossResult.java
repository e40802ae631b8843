package dev.finetune4j.train.loss;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a {@link SequenceLoss} returns for one batch: the scalar loss (mean over the batch's examples), the
 * gradient of that loss with respect to each row's policy log-prob <b>sum</b>, and the metrics.
 *
 * <p>The gradient is indexed by the batch's rows, in the same layout as the input. Because it is taken with
 * respect to the sum of the row's label-token log-probs, the engine spreads it as is: every label token t of
 * row i gets {@code ∂loss/∂logp_t = gradient(i)} (losses on average log-probs have already applied the chain
 * rule through {@code avg = sum / count}).
 */
public final class SequenceLossResult {
    private final double loss;
    private final double[] gradient;
    private final LossMetrics metrics;

    public SequenceLossResult(double loss, double[] gradient, LossMetrics metrics) {
        this.loss = loss;
        this.gradient = Objects.requireNonNull(gradient, "gradient").clone();
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** The scalar loss of the batch. */
    public double loss() {
        return loss;
    }

    /** ∂loss/∂(policy log-prob sum of row {@code row}). */
    public double gradient(int row) {
        return gradient[row];
    }

    /** A copy of the per-row gradients. */
    public double[] gradient() {
        return gradient.clone();
    }

    /** Number of rows the gradient covers. */
    public int rows() {
        return gradient.length;
    }

    public LossMetrics metrics() {
        return metrics;
    }

    @Override
    public String toString() {
        return "SequenceLossResult{loss=" + loss + ", gradient=" + Arrays.toString(gradient) + ", metrics="
                + metrics + "}";
    }
}
