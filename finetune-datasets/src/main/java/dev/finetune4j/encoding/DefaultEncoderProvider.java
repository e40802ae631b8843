package dev.finetune4j.encoding;

import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.tokenizer.Tokenizer;

/** {@link EncoderProvider} for {@link DefaultDatasetEncoder}. */
public final class DefaultEncoderProvider implements EncoderProvider {
    @Override
    public DatasetEncoder create(Tokenizer tokenizer, ChatTemplate template, EncodingConfig config) {
        return new DefaultDatasetEncoder(tokenizer, template, config);
    }
}
