package dev.finetune4j.train.loss;

/**
 * TRL's adaptive KL coefficient (Ziegler et al.): after each rollout, {@code coef *= 1 + clip(kl/target − 1,
 * −0.2, 0.2)·n/horizon}, where kl is the rollout's mean summed KL per sequence and n its number of sequences.
 * Starts at {@code init_kl_coef} 0.2 with horizon 10000 (TRL's defaults); the target is {@code ppo_target}.
 */
public final class AdaptiveKlController {
    public static final double INIT_KL_COEF = 0.2;
    public static final double HORIZON = 10000;

    private final double target;
    private double value;

    public AdaptiveKlController(double target) {
        this(INIT_KL_COEF, target);
    }

    public AdaptiveKlController(double initial, double target) {
        this.value = initial;
        this.target = target;
    }

    public double value() {
        return value;
    }

    public void update(double currentKl, int sequences) {
        double error = Math.max(-0.2, Math.min(0.2, currentKl / target - 1));
        value *= 1 + error * sequences / HORIZON;
    }
}
