/**
 * The loss mathematics of the preference stages (FORMATS.md §G), engine-independent and in double.
 *
 * <p>The engine reduces each row of a batch to its label-token log-prob sum and count
 * ({@link dev.finetune4j.train.loss.SequenceLogProbs}), wraps them as
 * {@link dev.finetune4j.train.loss.PairedSequences} (stage dpo: rows [chosen…, rejected…]) or
 * {@link dev.finetune4j.train.loss.KtoSequences} (stage kto), and calls a
 * {@link dev.finetune4j.train.loss.SequenceLoss}. The
 * {@link dev.finetune4j.train.loss.SequenceLossResult} gives the loss, ∂loss/∂sum per row (to spread over the
 * row's label tokens) and {@link dev.finetune4j.train.loss.LossMetrics} with LLaMA-Factory's names.
 * {@link dev.finetune4j.train.loss.PreferenceLosses} builds the built-in losses from the configuration;
 * {@link dev.finetune4j.train.loss.RewardModelLoss} is the reward model's pairwise loss on scores.
 */
package dev.finetune4j.train.loss;
