/**
 * Chat generation with a KV cache: {@link dev.finetune4j.model.generate.Generator}, greedy or sampled
 * ({@link dev.finetune4j.model.generate.SamplingConfig}), stop ids and a token-streaming callback.
 */
package dev.finetune4j.model.generate;
