package dev.finetune4j.encoding;

import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.tokenizer.Tokenizer;

/** Service interface ({@link java.util.ServiceLoader}) for {@link DatasetEncoder}s; finetune-datasets has one. */
public interface EncoderProvider {
    DatasetEncoder create(Tokenizer tokenizer, ChatTemplate template, EncodingConfig config);
}
