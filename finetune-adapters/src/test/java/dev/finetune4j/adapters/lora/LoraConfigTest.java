package dev.finetune4j.adapters.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoraConfigTest {
    static final String Q0 = "model.layers.0.self_attn.q_proj";
    static final String Q1 = "model.layers.1.self_attn.q_proj";
    static final String V1 = "model.layers.1.self_attn.v_proj";
    static final String DOWN0 = "model.layers.0.mlp.down_proj";

    @Test
    void namesMatchTheWholePathOrADottedSuffix() {
        TargetModules t = TargetModules.of("q_proj", "mlp.down_proj");
        assertTrue(t.matches(Q0, false));
        assertTrue(t.matches(DOWN0, false));
        assertFalse(t.matches(V1, false));
        assertFalse(TargetModules.of("proj").matches(Q0, false), "a suffix must start at a dot");
        assertTrue(TargetModules.of(Q1).matches(Q1, false));
        assertFalse(TargetModules.of(Q1).matches(Q0, false));
        assertTrue(TargetModules.of("lm_head").matches("lm_head", true), "named explicitly, the head is a target");
    }

    @Test
    void regexMustMatchTheWholePath() {
        TargetModules t = new TargetModules.Regex(".*\\.1\\.self_attn\\.(q|v)_proj");
        assertTrue(t.matches(Q1, false));
        assertTrue(t.matches(V1, false));
        assertFalse(t.matches(Q0, false));
        assertFalse(new TargetModules.Regex("q_proj").matches(Q0, false), "fullmatch, not search");
        assertThrows(IllegalArgumentException.class, () -> new TargetModules.Regex("(q_proj"));
    }

    @Test
    void allIsEveryLinearLayerButTheHead() {
        assertInstanceOf(TargetModules.AllLinear.class, TargetModules.of("all"));
        assertInstanceOf(TargetModules.AllLinear.class, TargetModules.of(List.of("all-linear")));
        assertTrue(TargetModules.of("all").matches(DOWN0, false));
        assertFalse(TargetModules.of("all").matches("lm_head", true));
    }

    @Test
    void rankAndAlphaPatternsAsPeftMatchesThem() {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        ranks.put("model.layers.1.self_attn.q_proj", 4);
        ranks.put("v_proj", 2);
        ranks.put("layers\\.0\\..*", 16);
        LoraConfig c = LoraConfig.of(8, 16, 0, "all").withPatterns(ranks, Map.of("down_proj", 64.0));
        assertEquals(4, c.rankFor(Q1));
        assertEquals(2, c.rankFor(V1));
        assertEquals(16, c.rankFor(Q0), "regex key after a dot");
        assertEquals(16, c.rankFor(DOWN0));
        assertEquals(8, c.rankFor("model.layers.1.mlp.up_proj"));
        assertEquals(64.0, c.alphaFor(DOWN0));
        assertEquals(16.0, c.alphaFor(Q0));
        assertEquals(64.0 / 16, c.scalingFor(DOWN0));
        assertEquals(16.0 / 4, c.scalingFor(Q1));
        assertEquals(8, c.rankFor("model.layers.1.self_attn.xv_proj"), "a key matches whole dotted names only");
    }

    @Test
    void scalingIsAlphaOverRankOrOverSqrtRank() {
        assertEquals(2.0, LoraConfig.of(8, 16, 0, "q_proj").scalingFor(Q0));
        assertEquals(16 / Math.sqrt(8), LoraConfig.of(8, 16, 0, "q_proj").withRslora(true).scalingFor(Q0));
    }

    @Test
    void badValuesAreRejectedWithTheirName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoraConfig.of(0, 16, 0, "q_proj"))
                .getMessage().contains("rank"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoraConfig.of(8, 0, 0, "q_proj"))
                .getMessage().contains("alpha"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoraConfig.of(8, 16, 1.0, "q_proj"))
                .getMessage().contains("dropout"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoraConfig.of(8, 16, 0, List.of()))
                .getMessage().contains("empty"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoraConfig.of(8, 16, 0, "q_proj")
                .withPatterns(Map.of("q_proj", 0), Map.of())).getMessage().contains("rank_pattern"));
    }
}
