package dev.finetune4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune4j.config.PreferenceLoss;
import dev.finetune4j.testing.GradientCheck;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The analytic gradients w.r.t. the policy log-prob sums against central finite differences in DOUBLE, on
 * seeded random batches (away from the hinge's kink and ORPO's clamp), with pref_ftx on and off.
 *
 * <p>Inputs are kept where the losses are not saturated, so that every gradient entry is well above the
 * finite differences' rounding error (about 1e-16·|loss| / 1e-6); the tolerance 1e-5 leaves room for that
 * rounding on entries near 1e-4, while a wrong formula gives errors of order 1.
 */
class FiniteDifferenceTest {
    private static final int PAIRS = 4;
    private static final double TOLERANCE = 1e-5;

    /** Random counts 1..8, average log-probs in [−2.5, −0.2], and a reference within a few nats of the policy. */
    private static final class RandomPairs {
        final double[] sums = new double[2 * PAIRS];
        final int[] counts = new int[2 * PAIRS];
        final double[] reference = new double[2 * PAIRS];

        RandomPairs(long seed) {
            Random rnd = new Random(seed);
            for (int i = 0; i < sums.length; i++) {
                counts[i] = 1 + rnd.nextInt(8);
                sums[i] = -(0.2 + rnd.nextDouble() * 2.3) * counts[i];
                reference[i] = sums[i] + rnd.nextGaussian() * 1.5;
            }
        }
    }

    private static void check(String what, SequenceLoss<PairedSequences> loss, RandomPairs in) {
        INDArray x = Nd4j.createFromArray(in.sums.clone()).castTo(DataType.DOUBLE);
        Function<double[], PairedSequences> batch = sums -> {
            SequenceLogProbs policy = new SequenceLogProbs(sums, in.counts);
            return loss.needsReference() ? PairedSequences.of(policy, in.reference) : PairedSequences.of(policy);
        };
        SequenceLossResult result = loss.compute(batch.apply(in.sums));
        INDArray analytic = Nd4j.createFromArray(result.gradient());
        GradientCheck.check(what, () -> loss.compute(batch.apply(x.toDoubleVector())).loss(), x, analytic,
                200, TOLERANCE);
    }

    @ParameterizedTest
    @EnumSource(PreferenceLoss.class)
    void pairwiseLossesMatchFiniteDifferences(PreferenceLoss kind) {
        for (long seed = 1; seed <= 5; seed++) {
            RandomPairs in = new RandomPairs(seed);
            double smoothing = kind == PreferenceLoss.SIGMOID ? 0.1 : 0;
            // hinge: β small enough that no pair sits on the kink β·h = 1 within ±1e-6
            double beta = kind == PreferenceLoss.SIMPO ? 2.0 : 0.1;
            for (double ftx : new double[] {0, 0.7}) {
                check(kind + " seed " + seed + " ftx " + ftx,
                        PreferenceLosses.pairwise(kind, beta, ftx, smoothing, 0.5), in);
            }
        }
    }

    @Test
    void orpoNearZeroAverages() {
        // averages −1e-3 and −2e-3, near the singularity of log(1 − e^a) at 0 but far above the clamp:
        // ∂log_odds/∂a ≈ −1/a ≈ 1e3 there, and both rows still get their share
        RandomPairs in = new RandomPairs(9);
        in.sums[1] = -1e-3;
        in.counts[1] = 1;
        in.sums[PAIRS + 1] = -4e-3;
        in.counts[PAIRS + 1] = 2;
        check("orpo near 0", new OrpoLoss(0.2, 0), in);
    }

    @Test
    void ktoMatchesFiniteDifferences() {
        Random rnd = new Random(7);
        int n = 7;
        double[] sums = new double[n];
        int[] counts = new int[n];
        double[] ref = new double[n];
        boolean[] desirable = new boolean[n];
        double[] pKl = new double[n];
        double[] rKl = new double[n];
        for (int i = 0; i < n; i++) {
            counts[i] = 1 + rnd.nextInt(30);
            sums[i] = -(1 + rnd.nextDouble() * 50);
            ref[i] = sums[i] + rnd.nextGaussian() * 4;
            desirable[i] = rnd.nextBoolean();
            pKl[i] = -(1 + rnd.nextDouble() * 50);
            rKl[i] = pKl[i] - rnd.nextGaussian();
        }
        for (double ftx : new double[] {0, 0.3}) {
            KtoLoss loss = new KtoLoss(0.5, 1.33, 0.8, ftx);
            INDArray x = Nd4j.createFromArray(sums.clone());
            Function<double[], KtoSequences> batch = s -> new KtoSequences(new SequenceLogProbs(s, counts), desirable,
                    ref, pKl, rKl);
            INDArray analytic = Nd4j.createFromArray(loss.compute(batch.apply(sums)).gradient());
            GradientCheck.check("kto ftx " + ftx, () -> loss.compute(batch.apply(x.toDoubleVector())).loss(), x,
                    analytic, 200, TOLERANCE);
        }
    }

    @Test
    void rewardModelMatchesFiniteDifferences() {
        Random rnd = new Random(3);
        double[] scores = new double[10]; // [chosen 0..4, rejected 0..4]
        for (int i = 0; i < scores.length; i++) {
            scores[i] = rnd.nextGaussian() * 3;
        }
        RewardModelLoss loss = new RewardModelLoss();
        INDArray x = Nd4j.createFromArray(scores.clone());
        Function<double[], SequenceLossResult> eval = s -> loss.compute(java.util.Arrays.copyOfRange(s, 0, 5),
                java.util.Arrays.copyOfRange(s, 5, 10));
        INDArray analytic = Nd4j.createFromArray(eval.apply(scores).gradient());
        GradientCheck.check("rm", () -> eval.apply(x.toDoubleVector()).loss(), x, analytic, 200, TOLERANCE);
    }

    @Test
    void aUsersOwnPairwiseLossGetsTheChainRuleAndFtxForFree() {
        // a reference-free loss on averages, written the way a user would plug one in: (a_c − a_r − 1)²
        PairwisePreferenceLoss custom = new PairwisePreferenceLoss(0.5, 0.2) {
            @Override
            public boolean needsReference() {
                return false;
            }

            @Override
            protected boolean usesAverages() {
                return true;
            }

            @Override
            protected PairTerm pairTerm(double c, double r, double refC, double refR) {
                double d = c - r - 1;
                return new PairTerm(d * d, 2 * d, -2 * d);
            }
        };
        RandomPairs in = new RandomPairs(11);
        check("custom", custom, in);
        // and its value: mean over pairs of (d² + 0.2·(−a_c)); rewards are β·avg
        SequenceLossResult res = custom.compute(PairedSequences.of(new SequenceLogProbs(
                new double[] {-4, -9}, new int[] {2, 3})));
        // a_c = −2, a_r = −3 → d = 0 → loss = 0 + 0.2·2 = 0.4
        assertEquals(0.4, res.loss(), 1e-12);
        assertEquals(-1.0, res.metrics().value("rewards/chosen").orElseThrow(), 1e-12);
    }
}
