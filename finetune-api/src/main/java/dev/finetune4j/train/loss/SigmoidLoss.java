package dev.finetune4j.train.loss;

/**
 * DPO ({@code pref_loss: sigmoid}, the default), with optional label smoothing (cDPO):
 * {@code −(1−ε)·log σ(β·h) − ε·log σ(−β·h)}, {@code h = (logπ(c) − logπ(r)) − (logref(c) − logref(r))} on
 * summed log-probs; ε = {@code dpo_label_smoothing}.
 */
public final class SigmoidLoss extends PairwisePreferenceLoss {
    private final double labelSmoothing;

    public SigmoidLoss(double beta, double labelSmoothing, double ftx) {
        super(beta, ftx);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 0.5)) {
            throw new IllegalArgumentException("dpo_label_smoothing must be in [0, 0.5], got " + labelSmoothing);
        }
        this.labelSmoothing = labelSmoothing;
    }

    public double labelSmoothing() {
        return labelSmoothing;
    }

    @Override
    public boolean needsReference() {
        return true;
    }

    @Override
    protected boolean usesAverages() {
        return false;
    }

    @Override
    protected PairTerm pairTerm(double chosen, double rejected, double refChosen, double refRejected) {
        double z = beta * ((chosen - rejected) - (refChosen - refRejected));
        double eps = labelSmoothing;
        // −log σ(z) = softplus(−z), d/dz = −σ(−z);  −log σ(−z) = softplus(z), d/dz = σ(z)
        double loss = (1 - eps) * StableMath.softplus(-z) + eps * StableMath.softplus(z);
        double dz = -(1 - eps) * StableMath.sigmoid(-z) + eps * StableMath.sigmoid(z);
        return new PairTerm(loss, beta * dz, -beta * dz);
    }

    @Override
    public String name() {
        return "sigmoid";
    }
}
