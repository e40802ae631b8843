package dev.finetune4j.encoding;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.template.ChatTemplate;
import dev.finetune4j.template.ChatTemplates;
import dev.finetune4j.tokenizer.Tokenizer;
import java.util.ServiceLoader;

/**
 * Entry point from the trainer (or any code that only depends on finetune-api) to encoding:
 * <pre>{@code
 * try (Tokenizer tok = Tokenizers.load(modelDir)) {
 *     DatasetEncoder enc = Encoders.create(tok, "qwen3", EncodingConfig.builder().cutoffLen(1024).build());
 *     EncodedDataset data = enc.encode(source);
 *     Batch batch = enc.collate(data.examples().subList(0, 8));
 * }
 * }</pre>
 */
public final class Encoders {
    private Encoders() {
    }

    public static DatasetEncoder create(Tokenizer tokenizer, String templateName, EncodingConfig config) {
        return create(tokenizer, ChatTemplates.get(templateName), config);
    }

    public static DatasetEncoder create(Tokenizer tokenizer, ChatTemplate template, EncodingConfig config) {
        for (EncoderProvider p : ServiceLoader.load(EncoderProvider.class, Encoders.class.getClassLoader())) {
            return p.create(tokenizer, template, config);
        }
        throw new FineTuneException("no dataset encoder on the class path: add the finetune-datasets module");
    }
}
