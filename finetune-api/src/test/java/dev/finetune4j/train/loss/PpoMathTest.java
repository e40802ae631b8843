package dev.finetune4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * PPO's pieces (TRL 0.9.6 formulas) on small inputs worked out here, plus central differences of the objective's
 * gradients away from its kinks.
 */
class PpoMathTest {
    private static final double TOL = 1e-12;
    private static final PpoObjective PPO = PpoObjective.TRL_DEFAULTS;

    @Test
    void objectiveAtRatioOneIsMinusTheMeanAdvantagePlusTheValueLoss() {
        // ratio = 1 everywhere: pg = mean(−A) = (−1 + 2)/2 = 0.5, ∂pg/∂logπ = −A·1/n = [−0.5, 1]
        // v − R = [−0.5, −1] (no clipping: v = v_old): vf = ½·(0.25 + 1)/2 = 0.3125, ∂/∂v = 0.1·(v − R)/n
        PpoObjective.Result r = PPO.compute(new double[] {-1, -2}, new double[] {-1, -2}, new double[] {0.5, 0},
                new double[] {0.5, 0}, new double[] {1, -2}, new double[] {1, 1});
        assertEquals(0.5, r.policyLoss(), TOL);
        assertEquals(0.3125, r.valueLoss(), TOL);
        assertEquals(0.5 + 0.1 * 0.3125, r.loss(), TOL);
        assertArrayEquals(new double[] {-0.5, 1}, r.dLogProbs(), TOL);
        assertArrayEquals(new double[] {-0.025, -0.05}, r.dValues(), TOL);
        assertEquals(0, r.clipFraction());
        assertFalse(r.skipped());
    }

    @Test
    void clippedBranchesPassNoGradient() {
        double l = Math.log(1.5); // ratio 1.5 on both tokens
        // A = 1: max(−1.5, −1.2) = −1.2, the clipped branch: no gradient; A = −1: max(1.5, 1.2) = 1.5: −A·ratio/n
        // values: token 0 v = 1, v_old = 0.5, R = 0: v_clip = 0.7, (1)² > (0.7)²: unclipped, ∂ = 0.1·½·2·1/2
        //         token 1 v = 1, v_old = 0.5, R = 2: v_clip = 0.7, (−1)² < (−1.3)²: clipped, v outside: no gradient
        PpoObjective.Result r = PPO.compute(new double[] {l, l}, new double[] {0, 0}, new double[] {1, 1},
                new double[] {0.5, 0.5}, new double[] {1, -1}, new double[] {0, 2});
        assertEquals((-1.2 + 1.5) / 2, r.policyLoss(), TOL);
        assertArrayEquals(new double[] {0, 1.5 / 2}, r.dLogProbs(), TOL);
        assertEquals(0.5 * (1 + 1.69) / 2, r.valueLoss(), TOL);
        assertArrayEquals(new double[] {0.05, 0}, r.dValues(), TOL);
        assertEquals(0.5, r.clipFraction(), TOL);
    }

    @Test
    void aBatchWhoseMeanRatioExceedsTenIsSkipped() {
        PpoObjective.Result r = PPO.compute(new double[] {Math.log(20)}, new double[] {0}, new double[] {0},
                new double[] {0}, new double[] {1}, new double[] {0});
        assertTrue(r.skipped());
        assertEquals(0, r.loss());
        assertArrayEquals(new double[] {0}, r.dLogProbs());
        assertArrayEquals(new double[] {0}, r.dValues());
    }

    @Test
    void objectiveGradientsMatchCentralDifferences() {
        Random random = new Random(3);
        int n = 12;
        double[] lp = new double[n];
        double[] old = new double[n];
        double[] v = new double[n];
        double[] oldV = new double[n];
        double[] adv = new double[n];
        double[] ret = new double[n];
        for (int t = 0; t < n; t++) {
            old[t] = -1 - random.nextDouble();
            lp[t] = old[t] + 0.6 * (random.nextDouble() - 0.5); // ratios on both sides of the clip range
            oldV[t] = random.nextGaussian();
            v[t] = oldV[t] + 0.6 * (random.nextDouble() - 0.5);
            adv[t] = random.nextGaussian();
            ret[t] = random.nextGaussian();
        }
        PpoObjective.Result r = PPO.compute(lp, old, v, oldV, adv, ret);
        double eps = 1e-7;
        for (int t = 0; t < n; t++) {
            double[] plus = lp.clone();
            double[] minus = lp.clone();
            plus[t] += eps;
            minus[t] -= eps;
            double numeric = (PPO.compute(plus, old, v, oldV, adv, ret).loss()
                    - PPO.compute(minus, old, v, oldV, adv, ret).loss()) / (2 * eps);
            assertEquals(numeric, r.dLogProbs()[t], 1e-7, "logπ " + t);
            plus = v.clone();
            minus = v.clone();
            plus[t] += eps;
            minus[t] -= eps;
            numeric = (PPO.compute(lp, old, plus, oldV, adv, ret).loss()
                    - PPO.compute(lp, old, minus, oldV, adv, ret).loss()) / (2 * eps);
            assertEquals(numeric, r.dValues()[t], 1e-7, "v " + t);
        }
        assertTrue(r.clipFraction() > 0 && r.clipFraction() < 1, "both branches exercised: " + r.clipFraction());
    }

    @Test
    void rewardsPenaliseTheKlAndAddTheScoreAtTheEnd() {
        // −0.2·(−1 + 1.5) = −0.1; −0.2·(−2 + 1) + 3 = 3.2
        assertArrayEquals(new double[] {-0.1, 3.2},
                AdvantageEstimation.rewards(new double[] {-1, -2}, new double[] {-1.5, -1}, 0.2, 3), TOL);
    }

    @Test
    void generalisedAdvantageEstimation() {
        // γ = 1, λ = 0.95, r = [1, 0, 2], V = [0.5, 1, 0]
        // t=2: δ = 2 + 0 − 0 = 2, A = 2; t=1: δ = 0 + 0 − 1 = −1, A = −1 + 0.95·2 = 0.9
        // t=0: δ = 1 + 1 − 0.5 = 1.5, A = 1.5 + 0.95·0.9 = 2.355
        assertArrayEquals(new double[] {2.355, 0.9, 2}, AdvantageEstimation.advantages(new double[] {1, 0, 2},
                new double[] {0.5, 1, 0}, 1, 0.95), TOL);
    }

    @Test
    void whiteningRunsOverEveryTokenOfTheRollout() {
        // tokens 1, 2, 3: mean 2, unbiased variance (1 + 0 + 1)/2 = 1
        double s = 1 / Math.sqrt(1 + 1e-8);
        double[][] x = {{1, 2}, {3}};
        AdvantageEstimation.whiten(x, true);
        assertArrayEquals(new double[] {-s, 0}, x[0], TOL);
        assertArrayEquals(new double[] {s}, x[1], TOL);
        double[][] y = {{1, 2}, {3}};
        AdvantageEstimation.whiten(y, false); // keeps the mean
        assertArrayEquals(new double[] {2 - s, 2}, y[0], TOL);
        assertArrayEquals(new double[] {2 + s}, y[1], TOL);
    }

    @Test
    void adaptiveKlMovesTowardTheTargetByAtMostTwentyPercentOfNOverTheHorizon() {
        AdaptiveKlController kl = new AdaptiveKlController(6);
        assertEquals(0.2, kl.value());
        kl.update(12, 8); // 12/6 − 1 = 1, clipped to 0.2: ×(1 + 0.2·8/10000)
        assertEquals(0.2 * 1.00016, kl.value(), TOL);
        kl.update(4.5, 8); // 4.5/6 − 1 = −0.25 → −0.2
        assertEquals(0.2 * 1.00016 * 0.99984, kl.value(), TOL);
        kl.update(6.6, 10000); // +0.1, n = horizon: ×1.1
        assertEquals(0.2 * 1.00016 * 0.99984 * 1.1, kl.value(), 1e-12);
    }

    @Test
    void runningMomentsOfTheScores() {
        RunningMoments m = new RunningMoments();
        m.update(new double[] {1, 3}); // mean 2, biased variance 1 over count 2 (+1e-24): std = √(1·2/1)
        assertEquals(2, m.mean(), 1e-12);
        assertEquals(Math.sqrt(2), m.std(), 1e-12);
        double eps = Math.ulp(1.0f);
        assertArrayEquals(new double[] {-1 / (Math.sqrt(2) + eps), 1 / (Math.sqrt(2) + eps)},
                m.normalise(new double[] {1, 3}), 1e-12);
        m.update(new double[] {2}); // adds nothing to the spread: variance 2/3 over 3, std = √(2/3·3/2) = 1
        assertEquals(2, m.mean(), 1e-12);
        assertEquals(1, m.std(), 1e-12);
    }
}
