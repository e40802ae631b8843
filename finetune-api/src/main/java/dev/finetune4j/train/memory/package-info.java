/** How much memory a fine-tuning run needs, per method and precision, from a model's config.json. */
package dev.finetune4j.train.memory;
