package dev.finetune4j.nn;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * What an adapter strategy (LoRA and its family, freeze, full) needs from a model: its linear layers by
 * HuggingFace module path, a way to wrap or replace one, and all parameters. The decoder implements it.
 */
public interface AdaptableModel {

    /**
     * Every linear layer of the model by module path (e.g. {@code model.layers.0.self_attn.q_proj},
     * {@code lm_head}), in model order. A tied LM head that reuses the embedding matrix is not listed.
     */
    Map<String, Linear> linearLayers();

    /** Replaces the linear layer at {@code name} by {@code wrap.apply(current)} (which must keep its shape). */
    void replaceLinear(String name, UnaryOperator<Linear> wrap);

    /** Every parameter (trainable or frozen) by HuggingFace parameter name, in model order. */
    Map<String, Parameter> namedParameters();

    /** The parameters that currently train, in model order. */
    default List<Parameter> trainableParameters() {
        return namedParameters().values().stream().filter(Parameter::trainable).toList();
    }
}
