/**
 * LoRA and its family with PEFT semantics: {@link dev.finetune4j.adapters.lora.LoraConfig} (PEFT's LoraConfig:
 * rsLoRA, DoRA, PiSSA init, modules_to_save), {@link dev.finetune4j.adapters.lora.LoraLinear} and
 * {@link dev.finetune4j.adapters.lora.DoraLinear} (the layers, both {@link dev.finetune4j.adapters.lora.LoraModule}),
 * {@link dev.finetune4j.adapters.lora.PissaInit} (SVD initialisation), {@link dev.finetune4j.adapters.lora.LoraAdapter}
 * (the {@link dev.finetune4j.adapter.Adapter} that applies it to a model, and PiSSA's conversion to plain LoRA),
 * {@link dev.finetune4j.adapters.lora.PeftLoraFiles} (the PEFT adapter folder) and
 * {@link dev.finetune4j.adapters.lora.LoraMerge} (merged checkpoints for export).
 */
package dev.finetune4j.adapters.lora;
