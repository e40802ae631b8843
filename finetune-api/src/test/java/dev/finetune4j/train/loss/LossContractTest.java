package dev.finetune4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.config.PreferenceLoss;
import dev.finetune4j.config.PreferenceSettings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Factory mapping, input validation with clear messages, and metric aggregation. */
class LossContractTest {
    private static PreferenceSettings settings(PreferenceLoss kind, double smoothing) {
        return new PreferenceSettings(0.2, 0.1, kind, smoothing, 0.7, 1.3, 0.9, null, null, 16, 4, false, 6.0,
                false);
    }

    @Test
    void factoryMapsEveryPrefLoss() {
        Map<PreferenceLoss, Class<?>> expected = Map.of(PreferenceLoss.SIGMOID, SigmoidLoss.class,
                PreferenceLoss.HINGE, HingeLoss.class, PreferenceLoss.IPO, IpoLoss.class,
                PreferenceLoss.ORPO, OrpoLoss.class, PreferenceLoss.SIMPO, SimpoLoss.class);
        for (PreferenceLoss kind : PreferenceLoss.values()) {
            PairwisePreferenceLoss loss = PreferenceLosses.pairwise(settings(kind, 0));
            assertInstanceOf(expected.get(kind), loss);
            assertEquals(kind.yamlName(), loss.name());
            assertEquals(kind.needsReference(), loss.needsReference(), kind.yamlName());
            assertEquals(0.2, loss.beta());
            assertEquals(0.1, loss.ftx());
        }
        assertEquals(0.05, ((SigmoidLoss) PreferenceLosses.pairwise(settings(PreferenceLoss.SIGMOID, 0.05)))
                .labelSmoothing());
        assertEquals(0.7, ((SimpoLoss) PreferenceLosses.pairwise(settings(PreferenceLoss.SIMPO, 0))).gamma());
        assertTrue(PreferenceLosses.kto(settings(PreferenceLoss.SIGMOID, 0)).needsReference());
    }

    @Test
    void badParametersSayWhatToChange() {
        assertEquals("dpo_label_smoothing only applies to pref_loss: sigmoid, got 0.1 with pref_loss: hinge",
                assertThrows(IllegalArgumentException.class,
                        () -> PreferenceLosses.pairwise(settings(PreferenceLoss.HINGE, 0.1))).getMessage());
        assertEquals("pref_beta must be positive, got 0.0",
                assertThrows(IllegalArgumentException.class, () -> new SigmoidLoss(0, 0, 0)).getMessage());
        assertEquals("dpo_label_smoothing must be in [0, 0.5], got 0.6",
                assertThrows(IllegalArgumentException.class, () -> new SigmoidLoss(0.1, 0.6, 0)).getMessage());
        assertEquals("pref_ftx must be >= 0, got -1.0",
                assertThrows(IllegalArgumentException.class, () -> new OrpoLoss(0.1, -1)).getMessage());
        assertEquals("simpo_gamma must be finite, got NaN",
                assertThrows(IllegalArgumentException.class, () -> new SimpoLoss(2, Double.NaN, 0)).getMessage());
        assertEquals("kto_rejected_weight must be >= 0, got -0.5",
                assertThrows(IllegalArgumentException.class, () -> new KtoLoss(0.1, 1, -0.5, 0)).getMessage());
    }

    @Test
    void badBatchesSayWhichRow() {
        assertEquals("row 1 has 0 label tokens; every sequence needs at least one (drop examples whose answer was "
                        + "cut off)",
                assertThrows(IllegalArgumentException.class,
                        () -> new SequenceLogProbs(new double[] {-1, -2}, new int[] {3, 0})).getMessage());
        assertEquals("log-prob sum of row 0 is NaN (the model's output is not finite)",
                assertThrows(IllegalArgumentException.class,
                        () -> new SequenceLogProbs(new double[] {Double.NaN}, new int[] {3})).getMessage());
        assertEquals("a pairwise batch has an even number of rows (chosen…, rejected…), got 3",
                assertThrows(IllegalArgumentException.class, () -> PairedSequences.of(
                        new SequenceLogProbs(new double[] {-1, -2, -3}, new int[] {1, 1, 1}))).getMessage());
        SequenceLogProbs policy = new SequenceLogProbs(new double[] {-1, -2}, new int[] {1, 1});
        assertEquals("reference has 3 rows but policy has 2", assertThrows(IllegalArgumentException.class,
                () -> PairedSequences.of(policy, new double[] {-1, -2, -3})).getMessage());
        assertEquals("pref_loss sigmoid needs the reference model's log-probs, but the batch has none",
                assertThrows(IllegalArgumentException.class,
                        () -> new SigmoidLoss(0.1, 0, 0).compute(PairedSequences.of(policy))).getMessage());
        assertEquals("policyKl and referenceKl need the same, non-zero number of rows, got 1 and 2",
                assertThrows(IllegalArgumentException.class, () -> new KtoSequences(policy, new boolean[] {true, false},
                        new double[] {-1, -2}, new double[] {-1}, new double[] {-1, -2})).getMessage());
        assertEquals("need the same, non-zero number of chosen and rejected scores, got 2 and 1",
                assertThrows(IllegalArgumentException.class,
                        () -> new RewardModelLoss().compute(new double[] {1, 2}, new double[] {1})).getMessage());
    }

    @Test
    void inputsAreCopied() {
        double[] sums = {-1, -2};
        SequenceLogProbs s = new SequenceLogProbs(sums, new int[] {1, 2});
        sums[0] = 5;
        assertEquals(-1, s.sum(0));
        s.sums()[1] = 7;
        assertEquals(-2, s.sum(1));
        assertEquals(-1.0, s.average(1));
        assertEquals(new SequenceLogProbs(new double[] {-2}, new int[] {2}), s.rows(1, 2));
        SequenceLossResult r = new RewardModelLoss().compute(new double[] {1}, new double[] {0});
        r.gradient()[0] = 99;
        assertTrue(r.gradient(0) < 0);
    }

    @Test
    void referenceFreeLossesIgnoreAGivenReference() {
        SequenceLogProbs policy = new SequenceLogProbs(new double[] {-3, -7}, new int[] {3, 4});
        for (PairwisePreferenceLoss loss : List.of(new OrpoLoss(0.1, 0), new SimpoLoss(2, 0.5, 0))) {
            assertEquals(loss.compute(PairedSequences.of(policy)).loss(),
                    loss.compute(PairedSequences.of(policy, new double[] {-100, -1})).loss(), 0.0, loss.name());
        }
    }

    @Test
    void metricsAggregateLikeLlamaFactory() {
        // DPO: per-batch means, logged as the mean over batches
        LossMetrics a = LossMetrics.builder().mean("rewards/chosen", 1.0).mean("rewards/accuracies", 0.5).build();
        LossMetrics b = LossMetrics.builder().mean("rewards/chosen", 4.0).mean("rewards/accuracies", 1.0).build();
        assertEquals(Map.of("rewards/chosen", 2.5, "rewards/accuracies", 0.75), a.plus(b).values());
        assertEquals(a.values(), LossMetrics.empty().plus(a).values());
        // KTO: sums and counts; a batch without desirable rows does not dilute rewards/chosen
        LossMetrics k1 = LossMetrics.builder().total("rewards/chosen", 3.0, 2).total("rewards/rejected", 0, 0)
                .difference("rewards/margins", "rewards/chosen", "rewards/rejected").build();
        assertEquals(Map.of("rewards/chosen", 1.5), k1.values()); // no rejected yet: no margins either
        LossMetrics k2 = LossMetrics.builder().total("rewards/chosen", 0, 0).total("rewards/rejected", -2.0, 4)
                .difference("rewards/margins", "rewards/chosen", "rewards/rejected").build();
        Map<String, Double> both = k1.plus(k2).values();
        assertEquals(1.5, both.get("rewards/chosen"));
        assertEquals(-0.5, both.get("rewards/rejected"));
        assertEquals(2.0, both.get("rewards/margins"));
        assertEquals(List.of("rewards/chosen", "rewards/rejected", "rewards/margins"), List.copyOf(both.keySet()));
        assertFalse(k1.value("rewards/rejected").isPresent());
        assertThrows(IllegalArgumentException.class,
                () -> LossMetrics.builder().mean("x", 1).mean("x", 2));
        assertThrows(IllegalArgumentException.class, () -> LossMetrics.builder().mean("m", 1).build()
                .plus(LossMetrics.builder().difference("m", "a", "b").build()));
    }

    @Test
    void pairwiseMetricNamesAreLlamaFactorys() {
        SequenceLogProbs policy = new SequenceLogProbs(new double[] {-3, -7}, new int[] {3, 4});
        List<String> dpo = List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
                "logps/chosen", "logps/rejected");
        assertEquals(dpo, List.copyOf(new SigmoidLoss(0.1, 0, 0).compute(PairedSequences.of(policy,
                new double[] {-3, -7})).metrics().values().keySet()));
        List<String> orpo = new java.util.ArrayList<>(dpo);
        orpo.addAll(List.of("sft_loss", "odds_ratio_loss"));
        assertEquals(orpo, List.copyOf(new OrpoLoss(0.1, 0).compute(PairedSequences.of(policy)).metrics().values()
                .keySet()));
    }
}
