/**
 * The adapter strategy seam: {@link dev.finetune4j.adapter.Adapter} (LoRA and its family wrap a model's linear layers
 * and train only their own parameters) and its {@link java.util.ServiceLoader} lookup,
 * {@link dev.finetune4j.adapter.Adapters}. Implementations live in the finetune-adapters module.
 */
package dev.finetune4j.adapter;
