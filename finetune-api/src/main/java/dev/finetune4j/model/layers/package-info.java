/**
 * The decoder's layers, each a hand-written forward and backward over ND4J INDArray ops: token
 * {@link dev.finetune4j.model.layers.Embedding}, {@link dev.finetune4j.model.layers.RmsNorm},
 * {@link dev.finetune4j.model.layers.RotaryEmbedding}, grouped-query {@link dev.finetune4j.model.layers.Attention}
 * with the {@link dev.finetune4j.data.Batch} mask semantics ({@link dev.finetune4j.model.layers.SequenceContext}),
 * the SwiGLU {@link dev.finetune4j.model.layers.Mlp} and the pre-norm {@link dev.finetune4j.model.layers.DecoderLayer}.
 * A training forward keeps what its backward needs; every output comes from the active
 * {@link dev.finetune4j.nn.ArrayPool} and every temporary goes back to it.
 */
package dev.finetune4j.model.layers;
