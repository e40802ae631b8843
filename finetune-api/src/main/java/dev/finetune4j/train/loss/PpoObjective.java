package dev.finetune4j.train.loss;

/**
 * PPO's clipped objective for one mini-batch (TRL 0.9.6 {@code PPOTrainer.loss}, the version LLaMA-Factory runs),
 * over the response tokens of its sequences, flattened into one array (the mask is implicit: every entry counts):
 * <pre>
 *   ratio    = exp(logπ − logπ_old)
 *   pg_loss  = mean(max(−A·ratio, −A·clip(ratio, 1 − ε, 1 + ε)))                    ε = cliprange (0.2)
 *   v_clip   = clip(v, v_old − ε_v, v_old + ε_v)                                      ε_v = cliprange_value (0.2)
 *   vf_loss  = ½·mean(max((v − R)², (v_clip − R)²))
 *   loss     = pg_loss + vf_coef·vf_loss                                              vf_coef = 0.1
 * </pre>
 * with A the (whitened) advantages and R the returns from {@link AdvantageEstimation}. As in TRL, a mini-batch whose
 * mean ratio exceeds {@code ratio_threshold} (10) is skipped: loss and gradients 0. The gradients are those of
 * torch's autograd: a clipped branch passes no gradient, and where both branches are equal either gives the same.
 */
public final class PpoObjective {
    /** TRL's defaults, which LLaMA-Factory does not change. */
    public static final PpoObjective TRL_DEFAULTS = new PpoObjective(0.2, 0.2, 0.1, 10.0);

    private final double clipRange;
    private final double clipRangeValue;
    private final double vfCoef;
    private final double ratioThreshold;

    public PpoObjective(double clipRange, double clipRangeValue, double vfCoef, double ratioThreshold) {
        this.clipRange = clipRange;
        this.clipRangeValue = clipRangeValue;
        this.vfCoef = vfCoef;
        this.ratioThreshold = ratioThreshold;
    }

    /**
     * The mini-batch's loss and its gradients.
     *
     * @param dLogProbs ∂loss/∂logπ per token
     * @param dValues   ∂loss/∂v per token
     * @param clipFraction fraction of tokens whose policy term was clipped (TRL's {@code policy/clipfrac})
     * @param skipped   the mean ratio exceeded the threshold: loss and gradients are 0
     */
    public record Result(double loss, double policyLoss, double valueLoss, double clipFraction, boolean skipped,
                         double[] dLogProbs, double[] dValues) {
    }

    public Result compute(double[] logProbs, double[] oldLogProbs, double[] values, double[] oldValues,
                          double[] advantages, double[] returns) {
        int n = logProbs.length;
        if (n == 0 || oldLogProbs.length != n || values.length != n || oldValues.length != n
                || advantages.length != n || returns.length != n) {
            throw new IllegalArgumentException("every array needs the same, non-zero number of tokens");
        }
        double[] dLogProbs = new double[n];
        double[] dValues = new double[n];
        double pg = 0;
        double vf = 0;
        double ratioSum = 0;
        int clipped = 0;
        for (int t = 0; t < n; t++) {
            double a = advantages[t];
            double ratio = Math.exp(logProbs[t] - oldLogProbs[t]);
            ratioSum += ratio;
            double clippedRatio = Math.min(Math.max(ratio, 1 - clipRange), 1 + clipRange);
            double pg1 = -a * ratio;
            double pg2 = -a * clippedRatio;
            boolean inside = ratio >= 1 - clipRange && ratio <= 1 + clipRange;
            if (pg1 >= pg2) {
                pg += pg1;
                dLogProbs[t] = -a * ratio; // d ratio / d logπ = ratio
            } else {
                pg += pg2;
                dLogProbs[t] = inside ? -a * ratio : 0;
            }
            if (pg2 > pg1) {
                clipped++;
            }
            double v = values[t];
            double vClip = Math.min(Math.max(v, oldValues[t] - clipRangeValue), oldValues[t] + clipRangeValue);
            boolean vInside = v >= oldValues[t] - clipRangeValue && v <= oldValues[t] + clipRangeValue;
            double l1 = (v - returns[t]) * (v - returns[t]);
            double l2 = (vClip - returns[t]) * (vClip - returns[t]);
            if (l1 >= l2) {
                vf += l1;
                dValues[t] = 2 * (v - returns[t]);
            } else {
                vf += l2;
                dValues[t] = vInside ? 2 * (vClip - returns[t]) : 0;
            }
        }
        double policyLoss = pg / n;
        double valueLoss = 0.5 * vf / n;
        if (ratioSum / n > ratioThreshold) {
            return new Result(0, policyLoss, valueLoss, (double) clipped / n, true, new double[n], new double[n]);
        }
        for (int t = 0; t < n; t++) {
            dLogProbs[t] /= n;
            dValues[t] *= vfCoef * 0.5 / n;
        }
        return new Result(policyLoss + vfCoef * valueLoss, policyLoss, valueLoss, (double) clipped / n, false,
                dLogProbs, dValues);
    }
}
