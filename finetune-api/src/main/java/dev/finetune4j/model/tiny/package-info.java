/**
 * Seeded random HuggingFace model folders for tests, the quickstart and benchmarks
 * ({@link dev.finetune4j.model.tiny.TinyModelWriter}, {@link dev.finetune4j.model.tiny.TinyTokenizer},
 * {@link dev.finetune4j.model.tiny.RandomWeights}).
 */
package dev.finetune4j.model.tiny;
