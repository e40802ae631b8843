/**
 * bitsandbytes' 4-bit storage (QLoRA): {@link dev.finetune4j.quant.fourbit.FourBitType} (NF4, FP4 codes),
 * {@link dev.finetune4j.quant.fourbit.FourBitTensor} (blocks of 64, packed two codes per byte, optional double
 * quantization of the block scales), {@link dev.finetune4j.quant.fourbit.FourBitWeight} (a linear layer's frozen
 * weight, dequantized per use).
 */
package dev.finetune4j.quant.fourbit;
