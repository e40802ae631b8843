package dev.finetune4j.train.loss;

/**
 * ORPO ({@code pref_loss: orpo}), reference-free, on average log-probs {@code a}:
 * <pre>
 *   log_odds = (a_c − a_r) − (log(1 − e^{a_c}) − log(1 − e^{a_r}))
 *   loss     = −a_c + β · (−log σ(log_odds))
 * </pre>
 * Rewards are {@code β·a}. Extra metrics: {@code sft_loss} = mean(−a_c) and {@code odds_ratio_loss} =
 * mean(−log σ(log_odds)).
 *
 * <p>Guard: {@code log(1 − e^a)} is −∞ at a = 0 (every label token has probability 1) and undefined above
 * (rounding). The odds term therefore reads {@code min(a, −}{@value #MAX_AVERAGE_MAGNITUDE}{@code )}; like
 * torch's {@code clamp}, no gradient reaches a clamped input through the odds term (the SFT term still gives
 * −1/count). Below the clamp it is exact: {@code log(1 − e^a)} is computed as {@code log(−expm1(a))} near 0.
 */
public final class OrpoLoss extends PairwisePreferenceLoss {
    /** Average log-probs closer to 0 than this are clamped in the odds term. */
    public static final double MAX_AVERAGE_MAGNITUDE = 1e-10;

    public OrpoLoss(double beta, double ftx) {
        super(beta, ftx);
    }

    @Override
    public boolean needsReference() {
        return false;
    }

    @Override
    protected boolean usesAverages() {
        return true;
    }

    /** log_odds and its partial derivatives w.r.t. a_c and a_r (0 for a clamped input). */
    private static double[] logOdds(double chosen, double rejected) {
        double c = Math.min(chosen, -MAX_AVERAGE_MAGNITUDE);
        double r = Math.min(rejected, -MAX_AVERAGE_MAGNITUDE);
        double logOdds = (c - r) - (StableMath.log1mexp(c) - StableMath.log1mexp(r));
        // d/da [a − log(1 − e^a)] = 1 + e^a/(1 − e^a) = 1/(1 − e^a) = −1/expm1(a)
        double dC = chosen < -MAX_AVERAGE_MAGNITUDE ? -1.0 / Math.expm1(c) : 0.0;
        double dR = rejected < -MAX_AVERAGE_MAGNITUDE ? 1.0 / Math.expm1(r) : 0.0;
        return new double[] {logOdds, dC, dR};
    }

    @Override
    protected PairTerm pairTerm(double chosen, double rejected, double refChosen, double refRejected) {
        double[] lo = logOdds(chosen, rejected);
        double oddsLoss = StableMath.softplus(-lo[0]);
        double dLo = -beta * StableMath.sigmoid(-lo[0]);
        return new PairTerm(-chosen + beta * oddsLoss, -1 + dLo * lo[1], dLo * lo[2]);
    }

    @Override
    protected void addMetrics(double[] chosen, double[] rejected, LossMetrics.Builder metrics) {
        double sft = 0;
        double odds = 0;
        for (int i = 0; i < chosen.length; i++) {
            sft += -chosen[i];
            odds += StableMath.softplus(-logOdds(chosen[i], rejected[i])[0]);
        }
        metrics.mean("sft_loss", sft / chosen.length).mean("odds_ratio_loss", odds / chosen.length);
    }

    @Override
    public String name() {
        return "orpo";
    }
}
