package dev.finetune4j.tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Service interface ({@link java.util.ServiceLoader}) that loads a tokenizer from a model folder;
 * finetune-datasets provides the HuggingFace {@code tokenizer.json} one.
 */
public interface TokenizerProvider {

    /** True when this provider can read the folder (e.g. it holds {@code tokenizer.json}). */
    boolean canLoad(Path modelDir);

    Tokenizer load(Path modelDir) throws IOException;
}
