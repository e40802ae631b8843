package dev.finetune4j.train.loss;

/**
 * The reward model's pairwise loss (stage {@code rm}): {@code −mean(log σ(s_c − s_r))} over n pairs of scalar
 * scores (the value head at each sequence's last non-padding token, FORMATS.md §G).
 *
 * <p>The result's gradient is with respect to the <b>scores</b>, rows in the pairwise layout
 * [chosen 0…n−1, rejected 0…n−1]; the engine sends it into the value head at the scored positions. Metric:
 * {@code accuracy}, the fraction of pairs with {@code s_c > s_r} (strictly, as LLaMA-Factory's
 * {@code ComputeAccuracy}).
 */
public final class RewardModelLoss {
    public SequenceLossResult compute(double[] chosenScores, double[] rejectedScores) {
        int n = chosenScores.length;
        if (n == 0 || rejectedScores.length != n) {
            throw new IllegalArgumentException("need the same, non-zero number of chosen and rejected scores, got "
                    + n + " and " + rejectedScores.length);
        }
        double total = 0;
        int correct = 0;
        double[] gradient = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double d = chosenScores[i] - rejectedScores[i];
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException("scores of pair " + i + " are not finite: " + chosenScores[i]
                        + ", " + rejectedScores[i]);
            }
            total += StableMath.softplus(-d); // −log σ(d)
            double g = StableMath.sigmoid(-d) / n; // d/dd softplus(−d) = −σ(−d)
            gradient[i] = -g;
            gradient[n + i] = g;
            if (chosenScores[i] > rejectedScores[i]) {
                correct++;
            }
        }
        LossMetrics metrics = LossMetrics.builder().mean("accuracy", (double) correct / n).build();
        return new SequenceLossResult(total / n, gradient, metrics);
    }
}
