package dev.finetune4j.train.loss;

/**
 * Base of the DPO-family losses (stage {@code dpo}, FORMATS.md §G): a per-pair loss of the chosen and rejected
 * log-probs, averaged over the pairs, plus the optional {@code pref_ftx} SFT term, with LLaMA-Factory's metrics.
 *
 * <p>A subclass says whether it reads summed or averaged log-probs ({@link #usesAverages()}) and whether it
 * needs a reference model, and gives the per-pair loss and its two partial derivatives ({@link #pairTerm}).
 * This class does the rest: it picks sums or averages, applies the chain rule through {@code avg = sum/count},
 * adds {@code pref_ftx · (−avg(chosen))} per pair, divides by the number of pairs and builds the metrics.
 * A user's own pairwise loss can extend it the same way.
 *
 * <p>Metrics (one {@link LossMetrics.Builder#mean mean} each, as LLaMA-Factory logs them), with log-probs in
 * the loss's own form (sums, or averages when {@link #usesAverages()}) and {@code ref = 0} without a reference:
 * {@code rewards/chosen} = mean β·(logπ(c) − logref(c)), {@code rewards/rejected}, {@code rewards/accuracies}
 * = fraction of pairs with chosen reward strictly above rejected, {@code rewards/margins} = mean difference,
 * {@code logps/chosen}, {@code logps/rejected} = mean policy log-probs.
 */
public abstract class PairwisePreferenceLoss implements SequenceLoss<PairedSequences> {
    /** One pair's loss and its partial derivatives w.r.t. the chosen and rejected policy log-probs. */
    public record PairTerm(double loss, double dChosen, double dRejected) {
    }

    protected final double beta;
    protected final double ftx;

    /**
     * @param beta {@code pref_beta} (&gt; 0)
     * @param ftx  {@code pref_ftx} (≥ 0): weight of the SFT term {@code −avg(chosen)} added to each pair's loss
     */
    protected PairwisePreferenceLoss(double beta, double ftx) {
        if (!(beta > 0) || !Double.isFinite(beta)) {
            throw new IllegalArgumentException("pref_beta must be positive, got " + beta);
        }
        if (!(ftx >= 0) || !Double.isFinite(ftx)) {
            throw new IllegalArgumentException("pref_ftx must be >= 0, got " + ftx);
        }
        this.beta = beta;
        this.ftx = ftx;
    }

    public double beta() {
        return beta;
    }

    public double ftx() {
        return ftx;
    }

    /** True when the loss reads average log-probs ({@code sum / count}), false for sums. */
    protected abstract boolean usesAverages();

    /**
     * The loss of one pair and its partial derivatives with respect to {@code chosen} and {@code rejected}.
     * All four log-probs are sums or averages per {@link #usesAverages()}; the reference ones are 0 when the loss
     * does not {@link #needsReference() need a reference}.
     */
    protected abstract PairTerm pairTerm(double chosen, double rejected, double refChosen, double refRejected);

    /** Adds loss-specific metrics (e.g. ORPO's {@code sft_loss}); log-probs as in {@link #pairTerm}. */
    protected void addMetrics(double[] chosen, double[] rejected, LossMetrics.Builder metrics) {
    }

    @Override
    public SequenceLossResult compute(PairedSequences batch) {
        if (needsReference() && !batch.hasReference()) {
            throw new IllegalArgumentException("pref_loss " + name() + " needs the reference model's log-probs, but "
                    + "the batch has none");
        }
        SequenceLogProbs policy = batch.policy();
        int n = batch.pairs();
        double[] chosen = new double[n];
        double[] rejected = new double[n];
        double[] gradient = new double[2 * n];
        double total = 0;
        double rewardChosen = 0;
        double rewardRejected = 0;
        int correct = 0;
        for (int i = 0; i < n; i++) {
            int c = batch.chosenRow(i);
            int r = batch.rejectedRow(i);
            int countC = policy.tokenCount(c);
            int countR = policy.tokenCount(r);
            double scaleC = usesAverages() ? 1.0 / countC : 1.0;
            double scaleR = usesAverages() ? 1.0 / countR : 1.0;
            chosen[i] = policy.sum(c) * scaleC;
            rejected[i] = policy.sum(r) * scaleR;
            double refC = needsReference() ? batch.referenceSum(c) * scaleC : 0.0;
            double refR = needsReference() ? batch.referenceSum(r) * scaleR : 0.0;

            PairTerm term = pairTerm(chosen[i], rejected[i], refC, refR);
            double loss = term.loss();
            double gC = term.dChosen() * scaleC; // chain rule: ∂/∂sum = ∂/∂avg · 1/count
            double gR = term.dRejected() * scaleR;
            if (ftx != 0) {
                loss += ftx * -policy.average(c);
                gC += -ftx / countC;
            }
            total += loss;
            gradient[c] = gC / n;
            gradient[r] = gR / n;

            double rc = beta * (chosen[i] - refC);
            double rr = beta * (rejected[i] - refR);
            rewardChosen += rc;
            rewardRejected += rr;
            if (rc > rr) {
                correct++;
            }
        }
        LossMetrics.Builder metrics = LossMetrics.builder()
                .mean("rewards/chosen", rewardChosen / n)
                .mean("rewards/rejected", rewardRejected / n)
                .mean("rewards/accuracies", (double) correct / n)
                .mean("rewards/margins", (rewardChosen - rewardRejected) / n)
                .mean("logps/chosen", mean(chosen))
                .mean("logps/rejected", mean(rejected));
        addMetrics(chosen, rejected, metrics);
        return new SequenceLossResult(total / n, gradient, metrics.build());
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }
}
