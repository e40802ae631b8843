/** The causal-LM losses fused with the LM head and chunked over rows ({@link dev.finetune4j.model.loss.CausalLmLoss}). */
package dev.finetune4j.model.loss;
