package dev.finetune4j.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class ParamGroupTest {
    @Test
    void huggingFaceLeavesBiasesAndNormsWithoutDecay() {
        assertTrue(ParamGroup.decays("model.layers.0.self_attn.q_proj.weight"));
        assertTrue(ParamGroup.decays("model.layers.0.self_attn.q_proj.lora_A.weight"));
        assertTrue(ParamGroup.decays("model.embed_tokens.weight"));
        assertFalse(ParamGroup.decays("model.layers.0.self_attn.q_proj.bias"));
        assertFalse(ParamGroup.decays("model.layers.0.input_layernorm.weight"));
        assertFalse(ParamGroup.decays("model.layers.0.post_attention_layernorm.weight"));
        assertFalse(ParamGroup.decays("model.layers.0.self_attn.q_norm.weight"));
        assertFalse(ParamGroup.decays("model.norm.weight"));
        assertTrue(ParamGroup.decays("model.normalizer.weight"));

        Parameter w = new Parameter("a.weight", Nd4j.zeros(DataType.FLOAT, 2, 2), true);
        Parameter b = new Parameter("a.bias", Nd4j.zeros(DataType.FLOAT, 2), true);
        List<ParamGroup> g = ParamGroup.huggingFaceDefault(List.of(w, b), 0.01);
        assertEquals(2, g.size());
        assertEquals(List.of(w), g.get(0).parameters());
        assertEquals(0.01, g.get(0).weightDecay());
        assertEquals(List.of(b), g.get(1).parameters());
        assertEquals(0, g.get(1).weightDecay());
        assertEquals(1, ParamGroup.huggingFaceDefault(List.of(w), 0.01).size());
    }
}
