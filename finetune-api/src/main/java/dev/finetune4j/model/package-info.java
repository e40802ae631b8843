/**
 * The decoder-only language model on ND4J: {@link dev.finetune4j.model.ModelConfig} (HF {@code config.json}),
 * {@link dev.finetune4j.model.CausalLM} (load a HuggingFace folder, forward, backward, fused loss; an
 * {@link dev.finetune4j.nn.AdaptableModel} for adapters), {@link dev.finetune4j.model.KvCache} for generation.
 *
 * <p>Read {@link dev.finetune4j.model.CausalLM} top to bottom for the forward pass; each layer in
 * {@code dev.finetune4j.model.layers} has its backward next to its forward, and a finite-difference test.
 */
package dev.finetune4j.model;
