/** Model evaluation: perplexity over encoded examples ({@link dev.finetune4j.model.eval.Perplexity}). */
package dev.finetune4j.model.eval;
