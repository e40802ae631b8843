package dev.finetune4j.train.loss;

/**
 * KTO (stage {@code kto}; TRL's formula as LLaMA-Factory calls it), on summed log-probs, with reference:
 * <pre>
 *   z   = max(0, mean(logπ(y_kl) − logref(y_kl)))      KL estimate on the KL rows, no gradient
 *   r   = logπ(y) − logref(y)
 *   L_d = 1 − σ(β·(r − z))                             desirable rows,   weight kto_chosen_weight
 *   L_u = 1 − σ(β·(z − r))                             undesirable rows, weight kto_rejected_weight
 *   loss = mean over all rows of weight·L
 * </pre>
 * With {@code pref_ftx > 0} and at least one desirable row, LLaMA-Factory adds
 * {@code pref_ftx · mean_d(−avg(y)) / n_d · n} (n rows, n_d desirable); this class does the same, for parity.
 *
 * <p>Metrics, as LLaMA-Factory's KTO trainer aggregates them (sums and counts, see {@link LossMetrics}):
 * {@code rewards/chosen} (β·r over desirable rows), {@code logps/chosen} (policy sums), the same for
 * {@code rejected}, {@code rewards/margins} (chosen − rejected after aggregation) and {@code kl} (z). There is
 * no {@code rewards/accuracies} in KTO.
 */
public final class KtoLoss implements SequenceLoss<KtoSequences> {
    private final double beta;
    private final double chosenWeight;
    private final double rejectedWeight;
    private final double ftx;

    /**
     * @param beta           {@code pref_beta} (&gt; 0)
     * @param chosenWeight   {@code kto_chosen_weight} (≥ 0)
     * @param rejectedWeight {@code kto_rejected_weight} (≥ 0)
     * @param ftx            {@code pref_ftx} (≥ 0)
     */
    public KtoLoss(double beta, double chosenWeight, double rejectedWeight, double ftx) {
        if (!(beta > 0) || !Double.isFinite(beta)) {
            throw new IllegalArgumentException("pref_beta must be positive, got " + beta);
        }
        if (!(chosenWeight >= 0) || !Double.isFinite(chosenWeight)) {
            throw new IllegalArgumentException("kto_chosen_weight must be >= 0, got " + chosenWeight);
        }
        if (!(rejectedWeight >= 0) || !Double.isFinite(rejectedWeight)) {
            throw new IllegalArgumentException("kto_rejected_weight must be >= 0, got " + rejectedWeight);
        }
        if (!(ftx >= 0) || !Double.isFinite(ftx)) {
            throw new IllegalArgumentException("pref_ftx must be >= 0, got " + ftx);
        }
        this.beta = beta;
        this.chosenWeight = chosenWeight;
        this.rejectedWeight = rejectedWeight;
        this.ftx = ftx;
    }

    @Override
    public boolean needsReference() {
        return true;
    }

    /** The KL estimate z of a batch: {@code max(0, mean(policyKl − referenceKl))}. */
    public static double klEstimate(KtoSequences batch) {
        double s = 0;
        for (int i = 0; i < batch.klSize(); i++) {
            s += batch.policyKlSum(i) - batch.referenceKlSum(i);
        }
        return Math.max(0.0, s / batch.klSize());
    }

    @Override
    public SequenceLossResult compute(KtoSequences batch) {
        SequenceLogProbs policy = batch.policy();
        int n = batch.size();
        double z = klEstimate(batch);
        double[] gradient = new double[n];
        double total = 0;
        int nChosen = 0;
        double rewardChosen = 0;
        double rewardRejected = 0;
        double logpChosen = 0;
        double logpRejected = 0;
        double sftSum = 0;
        for (int i = 0; i < n; i++) {
            double ratio = policy.sum(i) - batch.referenceSum(i);
            if (batch.desirable(i)) {
                // 1 − σ(x) = σ(−x); d/dx = −σ(x)σ(−x); x = β(r − z), dx/dπ = β
                double x = beta * (ratio - z);
                total += chosenWeight * StableMath.sigmoid(-x);
                gradient[i] = -chosenWeight * beta * StableMath.sigmoid(x) * StableMath.sigmoid(-x);
                nChosen++;
                rewardChosen += beta * ratio;
                logpChosen += policy.sum(i);
                sftSum += -policy.average(i);
            } else {
                // y = β(z − r), dy/dπ = −β
                double y = beta * (z - ratio);
                total += rejectedWeight * StableMath.sigmoid(-y);
                gradient[i] = rejectedWeight * beta * StableMath.sigmoid(y) * StableMath.sigmoid(-y);
                rewardRejected += beta * ratio;
                logpRejected += policy.sum(i);
            }
        }
        double loss = total / n;
        for (int i = 0; i < n; i++) {
            gradient[i] /= n;
        }
        if (ftx != 0 && nChosen > 0) {
            // LLaMA-Factory: losses += ftx · mean_d(−avg) / n_d · n
            double scale = ftx * n / ((double) nChosen * nChosen);
            loss += scale * sftSum;
            for (int i = 0; i < n; i++) {
                if (batch.desirable(i)) {
                    gradient[i] += -scale / policy.tokenCount(i);
                }
            }
        }
        int nRejected = n - nChosen;
        LossMetrics metrics = LossMetrics.builder()
                .total("rewards/chosen", rewardChosen, nChosen)
                .total("logps/chosen", logpChosen, nChosen)
                .total("rewards/rejected", rewardRejected, nRejected)
                .total("logps/rejected", logpRejected, nRejected)
                .difference("rewards/margins", "rewards/chosen", "rewards/rejected")
                .mean("kl", z)
                .build();
        return new SequenceLossResult(loss, gradient, metrics);
    }

    @Override
    public String name() {
        return "kto";
    }
}
