package dev.finetune4j.train.loss;

/**
 * PPO's per-token rewards, advantages and returns for a rollout (TRL 0.9.6 {@code compute_rewards} and
 * {@code compute_advantages}), over the response tokens of each sequence:
 * <pre>
 *   r_t  = −kl_coef·(logπ_t − logref_t)            (+ score on the last response token)
 *   δ_t  = r_t + γ·V_{t+1} − V_t                   (V after the last token = 0)
 *   A_t  = δ_t + γλ·A_{t+1};  returns R_t = A_t + V_t;  then A is whitened over all tokens of the rollout
 * </pre>
 * with γ = 1, λ = 0.95 (TRL's defaults). {@code ppo_whiten_rewards} whitens r first, keeping its mean.
 */
public final class AdvantageEstimation {
    public static final double GAMMA = 1.0;
    public static final double LAMBDA = 0.95;

    private AdvantageEstimation() {
    }

    /** Per-token rewards of one response: the KL penalty on every token, the score added to the last. */
    public static double[] rewards(double[] logProbs, double[] refLogProbs, double klCoef, double score) {
        double[] r = new double[logProbs.length];
        for (int t = 0; t < r.length; t++) {
            r[t] = -klCoef * (logProbs[t] - refLogProbs[t]);
        }
        r[r.length - 1] += score;
        return r;
    }

    /** Generalised advantage estimation of one response (before whitening). */
    public static double[] advantages(double[] rewards, double[] values, double gamma, double lambda) {
        int n = rewards.length;
        double[] a = new double[n];
        double last = 0;
        for (int t = n - 1; t >= 0; t--) {
            double next = t + 1 < n ? values[t + 1] : 0.0;
            double delta = rewards[t] + gamma * next - values[t];
            last = delta + gamma * lambda * last;
            a[t] = last;
        }
        return a;
    }

    /**
     * TRL's {@code masked_whiten} over every token of every sequence, in place: {@code (x − mean)/√(var + 1e-8)},
     * the variance unbiased; with {@code shiftMean} false the mean is added back.
     */
    public static void whiten(double[][] x, boolean shiftMean) {
        double sum = 0;
        long n = 0;
        for (double[] row : x) {
            for (double v : row) {
                sum += v;
                n++;
            }
        }
        double mean = sum / n;
        double sq = 0;
        for (double[] row : x) {
            for (double v : row) {
                sq += (v - mean) * (v - mean);
            }
        }
        double var = n > 1 ? sq / n * n / (n - 1) : sq / n;
        double scale = 1 / Math.sqrt(var + 1e-8);
        for (double[] row : x) {
            for (int t = 0; t < row.length; t++) {
                row[t] = (row[t] - mean) * scale + (shiftMean ? 0 : mean);
            }
        }
    }
}
