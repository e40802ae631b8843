/** LLM.int8 row-wise absmax weight storage (LLaMA-Factory's {@code quantization_bit: 8}). */
package dev.finetune4j.quant.int8;
