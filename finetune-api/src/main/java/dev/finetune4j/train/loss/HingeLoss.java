package dev.finetune4j.train.loss;

/**
 * SLiC hinge ({@code pref_loss: hinge}): {@code max(0, 1 − β·h)} on summed log-probs, h as in
 * {@link SigmoidLoss}. At the kink ({@code β·h = 1}) the gradient is 0, as torch's {@code relu}.
 */
public final class HingeLoss extends PairwisePreferenceLoss {
    public HingeLoss(double beta, double ftx) {
        super(beta, ftx);
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
        double margin = 1 - z;
        if (margin > 0) {
            return new PairTerm(margin, -beta, beta);
        }
        return new PairTerm(0, 0, 0);
    }

    @Override
    public String name() {
        return "hinge";
    }
}
