package dev.finetune4j.train.loss;

/**
 * SimPO ({@code pref_loss: simpo}), reference-free, on average log-probs {@code a}:
 * {@code −log σ(β·(a_c − a_r) − γ)}, γ = {@code simpo_gamma}. Rewards are {@code β·a}.
 */
public final class SimpoLoss extends PairwisePreferenceLoss {
    private final double gamma;

    public SimpoLoss(double beta, double gamma, double ftx) {
        super(beta, ftx);
        if (!Double.isFinite(gamma)) {
            throw new IllegalArgumentException("simpo_gamma must be finite, got " + gamma);
        }
        this.gamma = gamma;
    }

    public double gamma() {
        return gamma;
    }

    @Override
    public boolean needsReference() {
        return false;
    }

    @Override
    protected boolean usesAverages() {
        return true;
    }

    @Override
    protected PairTerm pairTerm(double chosen, double rejected, double refChosen, double refRejected) {
        double x = beta * (chosen - rejected) - gamma;
        double dx = -StableMath.sigmoid(-x);
        return new PairTerm(StableMath.softplus(-x), beta * dx, -beta * dx);
    }

    @Override
    public String name() {
        return "simpo";
    }
}
