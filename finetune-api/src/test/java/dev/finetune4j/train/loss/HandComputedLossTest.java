package dev.finetune4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each loss on small inputs whose values are worked out here from the formula in FORMATS.md §G, with the
 * arithmetic written out, plus the edge cases: β, γ, label smoothing, equal chosen/rejected, very negative
 * log-probs, the ORPO guard.
 */
class HandComputedLossTest {
    private static final double TOL = 1e-12;

    /** One pair: rows [chosen, rejected]. */
    private static PairedSequences pair(double c, int nc, double r, int nr, double refC, double refR) {
        return PairedSequences.of(new SequenceLogProbs(new double[] {c, r}, new int[] {nc, nr}),
                new double[] {refC, refR});
    }

    private static PairedSequences pair(double c, int nc, double r, int nr) {
        return PairedSequences.of(new SequenceLogProbs(new double[] {c, r}, new int[] {nc, nr}));
    }

    private static double metric(SequenceLossResult res, String name) {
        return res.metrics().value(name).orElseThrow(() -> new AssertionError("no metric " + name));
    }

    @Test
    void sigmoidAtZeroMarginIsLn2() {
        // h = (−10 − (−20)) − (−11 − (−21)) = 10 − 10 = 0  →  loss = −log σ(0) = ln 2
        // ∂loss/∂logπ(c) = −β·σ(−0) = −0.1 · 0.5 = −0.05; rejected +0.05 (one pair, n = 1)
        SequenceLossResult res = new SigmoidLoss(0.1, 0, 0).compute(pair(-10, 4, -20, 5, -11, -21));
        assertEquals(Math.log(2), res.loss(), TOL);
        assertEquals(-0.05, res.gradient(0), TOL);
        assertEquals(0.05, res.gradient(1), TOL);
        // rewards: β(−10 + 11) = 0.1, β(−20 + 21) = 0.1: equal, so not counted as accurate (strict >)
        assertEquals(0.1, metric(res, "rewards/chosen"), TOL);
        assertEquals(0.1, metric(res, "rewards/rejected"), TOL);
        assertEquals(0.0, metric(res, "rewards/margins"), TOL);
        assertEquals(0.0, metric(res, "rewards/accuracies"), TOL);
        assertEquals(-10, metric(res, "logps/chosen"), TOL);
        assertEquals(-20, metric(res, "logps/rejected"), TOL);
    }

    @Test
    void sigmoidTwoPairsMeanOverPairs() {
        // pair 0: h = (−5 + 9) − (−6 + 8) = 4 − 2 = 2, β = 0.5 → z = 1
        //   loss0 = log(1 + e^{−1}) = 0.31326168751822286; ∂/∂z = −σ(−1) = −0.2689414213699951
        // pair 1: h = (−7 + 3) − (−7 + 3) = 0 → z = 0, loss1 = ln 2, ∂/∂z = −0.5
        // loss = (loss0 + loss1) / 2; ∂loss/∂c0 = β·(−σ(−1)) / 2
        double beta = 0.5;
        PairedSequences b = PairedSequences.of(
                new SequenceLogProbs(new double[] {-5, -7, -9, -3}, new int[] {2, 3, 4, 5}),
                new double[] {-6, -7, -8, -3});
        SequenceLossResult res = new SigmoidLoss(beta, 0, 0).compute(b);
        double s1 = 1 / (1 + Math.exp(1)); // σ(−1)
        assertEquals((Math.log(1 + Math.exp(-1)) + Math.log(2)) / 2, res.loss(), TOL);
        assertEquals(-beta * s1 / 2, res.gradient(0), TOL);
        assertEquals(-beta * 0.5 / 2, res.gradient(1), TOL);
        assertEquals(beta * s1 / 2, res.gradient(2), TOL);
        assertEquals(beta * 0.5 / 2, res.gradient(3), TOL);
        // rewards chosen: β(−5 + 6) = 0.5, β(−7 + 7) = 0 → mean 0.25; rejected: β(−9 + 8) = −0.5, 0 → −0.25
        assertEquals(0.25, metric(res, "rewards/chosen"), TOL);
        assertEquals(-0.25, metric(res, "rewards/rejected"), TOL);
        assertEquals(0.5, metric(res, "rewards/margins"), TOL);
        assertEquals(0.5, metric(res, "rewards/accuracies"), TOL);
        assertEquals(-6, metric(res, "logps/chosen"), TOL);
        assertEquals(-6, metric(res, "logps/rejected"), TOL);
    }

    @Test
    void labelSmoothingMixesBothDirections() {
        // h = 3, β = 0.2 → z = 0.6; ε = 0.25
        // loss = 0.75·log(1 + e^{−0.6}) + 0.25·log(1 + e^{0.6})
        // ∂loss/∂z = −0.75·σ(−0.6) + 0.25·σ(0.6); ∂loss/∂c = β·∂loss/∂z
        SequenceLossResult res = new SigmoidLoss(0.2, 0.25, 0).compute(pair(-1, 1, -4, 1, 0, 0));
        double sNeg = 1 / (1 + Math.exp(0.6));
        double sPos = 1 / (1 + Math.exp(-0.6));
        assertEquals(0.75 * Math.log(1 + Math.exp(-0.6)) + 0.25 * Math.log(1 + Math.exp(0.6)), res.loss(), TOL);
        assertEquals(0.2 * (-0.75 * sNeg + 0.25 * sPos), res.gradient(0), TOL);
        assertEquals(-0.2 * (-0.75 * sNeg + 0.25 * sPos), res.gradient(1), TOL);
        // ε = 0.5 is symmetric: the loss is minimal at h = 0 and pushes a positive margin back towards 0
        SequenceLossResult half = new SigmoidLoss(0.2, 0.5, 0).compute(pair(-1, 1, -4, 1, 0, 0));
        assertTrue(half.gradient(0) > 0, "cDPO with ε = 0.5 shrinks the margin");
        SequenceLossResult atZero = new SigmoidLoss(0.2, 0.5, 0).compute(pair(-4, 1, -4, 1, 0, 0));
        assertEquals(Math.log(2), atZero.loss(), TOL);
        assertEquals(0, atZero.gradient(0), TOL);
    }

    @Test
    void prefFtxAddsSftOnChosenAverage() {
        // sigmoid with h = 0: ln 2 + ftx·(−avg(c)) = ln 2 + 0.3·(12/4) = ln 2 + 0.9
        // ∂/∂sum(c) = −β·0.5 − ftx/count = −0.05 − 0.3/4 = −0.125
        SequenceLossResult res = new SigmoidLoss(0.1, 0, 0.3).compute(pair(-12, 4, -20, 5, -12, -20));
        assertEquals(Math.log(2) + 0.9, res.loss(), TOL);
        assertEquals(-0.125, res.gradient(0), TOL);
        assertEquals(0.05, res.gradient(1), TOL);
    }

    @Test
    void hingeKinkAndLinearPart() {
        // h = (−2 + 6) − (−3 + 5) = 2, β = 0.5 → β·h = 1: at the kink, loss 0 and gradient 0 (relu'(0) = 0)
        SequenceLossResult kink = new HingeLoss(0.5, 0).compute(pair(-2, 1, -6, 1, -3, -5));
        assertEquals(0, kink.loss(), TOL);
        assertEquals(0, kink.gradient(0), TOL);
        assertEquals(0, kink.gradient(1), TOL);
        // β = 0.1 → β·h = 0.2, loss = 1 − 0.2 = 0.8, ∂/∂c = −β = −0.1, ∂/∂r = +0.1
        SequenceLossResult lin = new HingeLoss(0.1, 0).compute(pair(-2, 1, -6, 1, -3, -5));
        assertEquals(0.8, lin.loss(), TOL);
        assertEquals(-0.1, lin.gradient(0), TOL);
        assertEquals(0.1, lin.gradient(1), TOL);
    }

    @Test
    void ipoUsesAverages() {
        // averages: c = −12/4 = −3, r = −20/5 = −4, ref c = −8/4 = −2, ref r = −15/5 = −3
        // h = (−3 + 4) − (−2 + 3) = 1 − 1 = 0; β = 0.25 → 1/(2β) = 2; loss = (0 − 2)² = 4
        // ∂loss/∂avg(c) = 2·(0 − 2) = −4 → ∂loss/∂sum(c) = −4/4 = −1; ∂loss/∂sum(r) = +4/5 = 0.8
        SequenceLossResult res = new IpoLoss(0.25, 0).compute(pair(-12, 4, -20, 5, -8, -15));
        assertEquals(4, res.loss(), TOL);
        assertEquals(-1, res.gradient(0), TOL);
        assertEquals(0.8, res.gradient(1), TOL);
        // rewards on averages: β(−3 + 2) = −0.25, β(−4 + 3) = −0.25; logps are averages
        assertEquals(-0.25, metric(res, "rewards/chosen"), TOL);
        assertEquals(-0.25, metric(res, "rewards/rejected"), TOL);
        assertEquals(-3, metric(res, "logps/chosen"), TOL);
        assertEquals(-4, metric(res, "logps/rejected"), TOL);
    }

    @Test
    void orpoByHand() {
        // a_c = −1/2 = −0.5, a_r = −3/3 = −1, β = 0.1
        // log_odds = (−0.5 + 1) − (log(1 − e^{−0.5}) − log(1 − e^{−1}))
        double lc = Math.log(1 - Math.exp(-0.5));
        double lr = Math.log(1 - Math.exp(-1.0));
        double logOdds = 0.5 - (lc - lr);
        double oddsLoss = Math.log(1 + Math.exp(-logOdds));
        // loss = −a_c + β·oddsLoss
        SequenceLossResult res = new OrpoLoss(0.1, 0).compute(pair(-1, 2, -3, 3));
        assertEquals(0.5 + 0.1 * oddsLoss, res.loss(), TOL);
        // ∂log_odds/∂a_c = 1/(1 − e^{a_c}), ∂log_odds/∂a_r = −1/(1 − e^{a_r}); ∂oddsLoss/∂log_odds = −σ(−log_odds)
        double sig = 1 / (1 + Math.exp(logOdds));
        double dAc = -1 + 0.1 * -sig / (1 - Math.exp(-0.5));
        double dAr = 0.1 * -sig * -1 / (1 - Math.exp(-1.0));
        assertEquals(dAc / 2, res.gradient(0), TOL); // chain rule: / count
        assertEquals(dAr / 3, res.gradient(1), TOL);
        // rewards are β·avg (no reference)
        assertEquals(-0.05, metric(res, "rewards/chosen"), TOL);
        assertEquals(-0.1, metric(res, "rewards/rejected"), TOL);
        assertEquals(1.0, metric(res, "rewards/accuracies"), TOL);
        assertEquals(0.5, metric(res, "sft_loss"), TOL);
        assertEquals(oddsLoss, metric(res, "odds_ratio_loss"), TOL);
    }

    @Test
    void orpoNearAndAtZeroAverage() {
        // a_c = −1e−9: log(1 − e^a) = log(−expm1(a)) ≈ log(1e−9) − 5e−10 (a plain log1p(−exp(a)) keeps
        // only ~7 significant digits here)
        double a = -1e-9;
        assertEquals(Math.log(1e-9) + a / 2, StableMath.log1mexp(a), 1e-12);
        assertEquals(Math.log1p(-Math.exp(-50.0)), StableMath.log1mexp(-50.0), 0.0);
        // a_c exactly 0 (every chosen token has probability 1) and a tiny positive rounding error: the loss stays
        // finite, and the chosen row gets only the SFT gradient −1/count (odds term clamped)
        for (double sum : new double[] {0.0, 1e-12}) {
            SequenceLossResult res = new OrpoLoss(0.1, 0).compute(pair(sum, 4, -6, 3));
            assertTrue(Double.isFinite(res.loss()), "finite loss at a_c = " + sum);
            assertEquals(-1.0 / 4, res.gradient(0), TOL);
            assertTrue(Double.isFinite(res.gradient(1)));
        }
        // the rejected answer at average 0: the odds term is large but finite
        SequenceLossResult rej = new OrpoLoss(0.1, 0).compute(pair(-6, 3, 0.0, 4));
        assertTrue(Double.isFinite(rej.loss()) && rej.loss() > 0.1 * 20, "odds loss ≈ −log(1e−10) ≈ 23");
        assertEquals(0, rej.gradient(1), TOL);
    }

    @Test
    void simpoEqualAnswersAndGamma() {
        // a_c = a_r = −2 (sums −8/4 and −10/5) → x = β·0 − γ = −γ; loss = log(1 + e^{γ})
        // ∂loss/∂a_c = −β·σ(−x) = −β·σ(γ); ∂/∂sum(c) = that / 4; rejected = +β·σ(γ) / 5
        double beta = 2.0;
        double gamma = 0.5;
        SequenceLossResult res = new SimpoLoss(beta, gamma, 0).compute(pair(-8, 4, -10, 5));
        double sg = 1 / (1 + Math.exp(-gamma));
        assertEquals(Math.log(1 + Math.exp(gamma)), res.loss(), TOL);
        assertEquals(-beta * sg / 4, res.gradient(0), TOL);
        assertEquals(beta * sg / 5, res.gradient(1), TOL);
        assertEquals(0.0, metric(res, "rewards/accuracies"), TOL); // equal rewards: not accurate
        assertEquals(-4.0, metric(res, "rewards/chosen"), TOL); // β·avg = 2·(−2)
        // γ = 0: ln 2 at equal answers
        assertEquals(Math.log(2), new SimpoLoss(beta, 0, 0).compute(pair(-8, 4, -10, 5)).loss(), TOL);
    }

    @Test
    void veryNegativeLogProbsStayFinite() {
        // z = β·h far below −700, where e^{−z} overflows a naive log(1 + e^{−z})
        SequenceLossResult res = new SigmoidLoss(1.0, 0, 0).compute(pair(-1e5, 100, -1e3, 10, -1e3, -1e5));
        // h = (−1e5 + 1e3) − (−1e3 + 1e5) = −99000 − 99000 = −198000 → loss = softplus(198000) = 198000
        assertEquals(198000, res.loss(), 1e-9);
        assertEquals(-1.0, res.gradient(0), TOL); // −β·σ(198000) = −1
        assertEquals(1.0, res.gradient(1), TOL);
        // and the other way: loss → 0, gradient underflows to ~0 without NaN
        SequenceLossResult good = new SigmoidLoss(1.0, 0, 0).compute(pair(-1e3, 10, -1e5, 100, -1e5, -1e3));
        assertEquals(0, good.loss(), TOL);
        assertEquals(0, good.gradient(0), TOL);
        // ORPO and SimPO with averages of −1e4 per token
        assertTrue(Double.isFinite(new OrpoLoss(0.1, 0).compute(pair(-1e6, 100, -1e6, 50)).loss()));
        assertTrue(Double.isFinite(new SimpoLoss(2, 0.5, 0).compute(pair(-1e6, 100, -1e6, 50)).loss()));
        // RM scores far apart
        SequenceLossResult rm = new RewardModelLoss().compute(new double[] {-1e4}, new double[] {1e4});
        assertEquals(2e4, rm.loss(), 1e-9);
        assertEquals(-1, rm.gradient(0), TOL);
    }

    @Test
    void ktoByHand() {
        // rows: 0 desirable (π −10, ref −12), 1 undesirable (π −8, ref −9); β = 0.5
        // KL rows: mean((−20 + 21), (−30 + 30.5)) = mean(1, 0.5) = 0.75 = z
        KtoSequences b = new KtoSequences(new SequenceLogProbs(new double[] {-10, -8}, new int[] {5, 4}),
                new boolean[] {true, false}, new double[] {-12, -9}, new double[] {-20, -30}, new double[] {-21, -30.5});
        assertEquals(0.75, KtoLoss.klEstimate(b), TOL);
        // desirable: r = 2, x = 0.5·(2 − 0.75) = 0.625, L_d = 1 − σ(0.625); ∂/∂π = −β·σ(x)·(1 − σ(x))
        // undesirable: r = 1, y = 0.5·(0.75 − 1) = −0.125, L_u = 1 − σ(−0.125); ∂/∂π = +β·σ(y)·(1 − σ(y))
        double sx = 1 / (1 + Math.exp(-0.625));
        double sy = 1 / (1 + Math.exp(0.125));
        double w = 1.5;
        SequenceLossResult res = new KtoLoss(0.5, w, 1.0, 0).compute(b);
        assertEquals((w * (1 - sx) + (1 - sy)) / 2, res.loss(), TOL);
        assertEquals(-w * 0.5 * sx * (1 - sx) / 2, res.gradient(0), TOL);
        assertEquals(0.5 * sy * (1 - sy) / 2, res.gradient(1), TOL);
        Map<String, Double> m = res.metrics().values();
        assertEquals(1.0, m.get("rewards/chosen"), TOL); // β·r = 0.5·2
        assertEquals(0.5, m.get("rewards/rejected"), TOL);
        assertEquals(0.5, m.get("rewards/margins"), TOL);
        assertEquals(-10, m.get("logps/chosen"), TOL);
        assertEquals(-8, m.get("logps/rejected"), TOL);
        assertEquals(0.75, m.get("kl"), TOL);
        assertFalse(m.containsKey("rewards/accuracies"));
    }

    @Test
    void ktoKlClampsAtZeroAndFtxScalesLikeLlamaFactory() {
        // KL rows: mean(−5 + 3) = −2 → z = max(0, −2) = 0
        KtoSequences b = new KtoSequences(new SequenceLogProbs(new double[] {-6, -9, -4}, new int[] {3, 3, 2}),
                new boolean[] {true, false, false}, new double[] {-6, -9, -4}, new double[] {-5}, new double[] {-3});
        assertEquals(0, KtoLoss.klEstimate(b), TOL);
        // all r = 0, z = 0 → every L = 1 − σ(0) = 0.5; loss = 0.5
        // ftx = 0.4, n = 3, n_d = 1: + 0.4 · (6/3) / 1 · 3 = 2.4; ∂/∂sum(0) += −0.4 · 3 / (1 · 3) = −0.4
        SequenceLossResult res = new KtoLoss(0.2, 1, 1, 0.4).compute(b);
        assertEquals(0.5 + 2.4, res.loss(), TOL);
        assertEquals(-0.2 * 0.25 / 3 - 0.4, res.gradient(0), TOL);
        assertEquals(0.2 * 0.25 / 3, res.gradient(1), TOL);
        // no desirable row: no ftx term, no chosen metrics, no margins
        KtoSequences none = new KtoSequences(new SequenceLogProbs(new double[] {-6}, new int[] {3}),
                new boolean[] {false}, new double[] {-6}, new double[] {-5}, new double[] {-3});
        SequenceLossResult r2 = new KtoLoss(0.2, 1, 1, 0.4).compute(none);
        assertEquals(0.5, r2.loss(), TOL);
        assertFalse(r2.metrics().values().containsKey("rewards/chosen"));
        assertFalse(r2.metrics().values().containsKey("rewards/margins"));
    }

    @Test
    void rewardModelPairwise() {
        // pair 0: d = 2 − 1 = 1 → −log σ(1) = log(1 + e^{−1}); pair 1: d = 0 → ln 2
        // ∂/∂s_c0 = −σ(−1)/2, ∂/∂s_r0 = +σ(−1)/2; pair 1: ∓0.25
        SequenceLossResult res = new RewardModelLoss().compute(new double[] {2, 0}, new double[] {1, 0});
        double s = 1 / (1 + Math.exp(1));
        assertEquals((Math.log(1 + Math.exp(-1)) + Math.log(2)) / 2, res.loss(), TOL);
        assertEquals(-s / 2, res.gradient(0), TOL);
        assertEquals(-0.25, res.gradient(1), TOL);
        assertEquals(s / 2, res.gradient(2), TOL);
        assertEquals(0.25, res.gradient(3), TOL);
        assertEquals(0.5, res.metrics().value("accuracy").orElseThrow(), TOL); // tie does not count
    }
}
