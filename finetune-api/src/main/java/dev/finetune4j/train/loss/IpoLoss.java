package dev.finetune4j.train.loss;

/**
 * IPO ({@code pref_loss: ipo}): {@code (h − 1/(2β))²} with h built from <b>average</b> log-probs (LLaMA-Factory
 * divides policy and reference log-probs by the label-token count for ipo, orpo and simpo), so rewards and
 * {@code logps/*} metrics are averages too.
 */
public final class IpoLoss extends PairwisePreferenceLoss {
    public IpoLoss(double beta, double ftx) {
        super(beta, ftx);
    }

    @Override
    public boolean needsReference() {
        return true;
    }

    @Override
    protected boolean usesAverages() {
        return true;
    }

    @Override
    protected PairTerm pairTerm(double chosen, double rejected, double refChosen, double refRejected) {
        double d = ((chosen - rejected) - (refChosen - refRejected)) - 1 / (2 * beta);
        return new PairTerm(d * d, 2 * d, -2 * d);
    }

    @Override
    public String name() {
        return "ipo";
    }
}
