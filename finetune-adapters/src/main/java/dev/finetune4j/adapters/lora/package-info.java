/**
 * LoRA with PEFT semantics: {@link dev.finetune4j.adapters.lora.LoraConfig} (PEFT's LoraConfig),
 * {@link dev.finetune4j.adapters.lora.LoraLinear} (the layer), {@link dev.finetune4j.adapters.lora.LoraAdapter} (the
 * {@link dev.finetune4j.adapter.Adapter} that applies it to a model), {@link dev.finetune4j.adapters.lora.PeftLoraFiles}
 * (the PEFT adapter folder) and {@link dev.finetune4j.adapters.lora.LoraMerge} (merged checkpoints for export).
 */
package dev.finetune4j.adapters.lora;
