package dev.finetune4j.train.loss;

/**
 * TRL's running mean and standard deviation of the reward-model scores ({@code ppo_score_norm}: scores become
 * {@code (s − mean)/(std + eps)} with the moments updated by the rollout first). Starts at mean 0, variance 1,
 * count 1e-24, as TRL's {@code RunningMoments}.
 */
public final class RunningMoments {
    private static final double FLOAT_EPS = Math.ulp(1.0f);

    private double mean = 0;
    private double var = 1;
    private double std = 1;
    private double count = 1e-24;

    /** Merges a rollout's scores into the moments (Chan et al.'s parallel update). */
    public void update(double[] xs) {
        int n = xs.length;
        double m = 0;
        for (double x : xs) {
            m += x;
        }
        m /= n;
        double v = 0;
        for (double x : xs) {
            v += (x - m) * (x - m);
        }
        v /= n;
        double delta = m - mean;
        double total = count + n;
        double sum = var * count + delta * delta * count * n / total + v * n;
        mean += delta * n / total;
        double newVar = sum / total;
        std = Math.sqrt(newVar * total / (total - 1));
        var = newVar;
        count = total;
    }

    /** {@code (x − mean)/(std + eps)} for each score, after {@link #update} with them. */
    public double[] normalise(double[] xs) {
        double[] out = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            out[i] = (xs[i] - mean) / (std + FLOAT_EPS);
        }
        return out;
    }

    public double mean() {
        return mean;
    }

    public double std() {
        return std;
    }
}
