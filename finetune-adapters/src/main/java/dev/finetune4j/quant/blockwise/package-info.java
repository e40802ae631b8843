/** bitsandbytes' 8-bit dynamic code map and blockwise 8-bit quantization (the double quantization of 4-bit scales). */
package dev.finetune4j.quant.blockwise;
