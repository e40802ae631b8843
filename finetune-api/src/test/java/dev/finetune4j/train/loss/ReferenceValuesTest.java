package dev.finetune4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.config.PreferenceLoss;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every loss against torch autograd in float64 (resources/loss/reference.json, made by make_reference.py next to
 * it, which follows LLaMA-Factory's and TRL's code paths): loss, gradient w.r.t. each policy sum, and metrics.
 */
class ReferenceValuesTest {
    private static final double TOL = 1e-12;

    @TestFactory
    Stream<DynamicTest> matchesTorchAutograd() throws IOException {
        JsonNode root;
        try (InputStream in = getClass().getResourceAsStream("/loss/reference.json")) {
            assertNotNull(in, "loss/reference.json is missing");
            root = new ObjectMapper().readTree(in);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
        }
        assertFalse(tests.isEmpty());
        return tests.stream();
    }

    private static void check(JsonNode c) {
        JsonNode p = c.get("params");
        JsonNode in = c.get("inputs");
        SequenceLossResult result = switch (c.get("kind").asText()) {
            case "pairwise" -> {
                PairwisePreferenceLoss loss = PreferenceLosses.pairwise(
                        PreferenceLoss.parse(p.get("pref_loss").asText()), p.get("pref_beta").asDouble(),
                        p.get("pref_ftx").asDouble(), p.get("dpo_label_smoothing").asDouble(),
                        p.get("simpo_gamma").asDouble());
                SequenceLogProbs policy = new SequenceLogProbs(doubles(in.get("sums")), ints(in.get("counts")));
                yield loss.compute(in.get("reference").isNull() ? PairedSequences.of(policy)
                        : PairedSequences.of(policy, doubles(in.get("reference"))));
            }
            case "kto" -> new KtoLoss(p.get("pref_beta").asDouble(), p.get("kto_chosen_weight").asDouble(),
                    p.get("kto_rejected_weight").asDouble(), p.get("pref_ftx").asDouble())
                    .compute(new KtoSequences(new SequenceLogProbs(doubles(in.get("sums")), ints(in.get("counts"))),
                            booleans(in.get("desirable")), doubles(in.get("reference")), doubles(in.get("policy_kl")),
                            doubles(in.get("reference_kl"))));
            case "rm" -> new RewardModelLoss().compute(doubles(in.get("chosen")), doubles(in.get("rejected")));
            default -> throw new AssertionError(c.get("kind").asText());
        };
        close("loss", c.get("loss").asDouble(), result.loss());
        double[] expected = doubles(c.get("gradient"));
        assertEquals(expected.length, result.rows(), "gradient rows");
        for (int i = 0; i < expected.length; i++) {
            close("gradient[" + i + "]", expected[i], result.gradient(i));
        }
        Map<String, Double> want = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = c.get("metrics").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            want.put(e.getKey(), e.getValue().asDouble());
        }
        Map<String, Double> got = new TreeMap<>(result.metrics().values());
        assertEquals(want.keySet(), got.keySet(), "metric names");
        want.forEach((k, v) -> close("metric " + k, v, got.get(k)));
    }

    private static void close(String what, double expected, double actual) {
        assertEquals(expected, actual, TOL * Math.max(1, Math.abs(expected)), what);
    }

    private static double[] doubles(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asDouble();
        }
        return v;
    }

    private static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asInt();
        }
        return v;
    }

    private static boolean[] booleans(JsonNode a) {
        boolean[] v = new boolean[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asBoolean();
        }
        return v;
    }
}
