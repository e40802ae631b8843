/**
 * The quantizer seam: a {@link dev.finetune4j.quant.Quantizer} turns a frozen dense linear weight into a compact
 * {@link dev.finetune4j.nn.WeightStore} (NF4/FP4 4-bit, INT8) that materialises the dense matrix only while a layer
 * uses it. Implementations are found by name through {@link dev.finetune4j.quant.QuantizerProvider}
 * ({@link java.util.ServiceLoader}); they live in the finetune-adapters module.
 */
package dev.finetune4j.quant;
