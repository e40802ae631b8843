/**
 * Optimisation with HuggingFace Trainer semantics: {@link dev.finetune4j.train.optim.AdamW} (torch.optim.AdamW, state
 * save/load), {@link dev.finetune4j.train.optim.ParamGroup} (per-group lr scale and weight decay),
 * {@link dev.finetune4j.train.optim.GradientClipping} (clip_grad_norm_) and
 * {@link dev.finetune4j.train.optim.LearningRateSchedule} (linear, cosine, constant, constant_with_warmup with warmup).
 */
package dev.finetune4j.train.optim;
