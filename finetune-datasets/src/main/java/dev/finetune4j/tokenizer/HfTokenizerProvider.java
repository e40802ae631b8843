package dev.finetune4j.tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/** {@link TokenizerProvider} for HuggingFace model folders ({@code tokenizer.json}). */
public final class HfTokenizerProvider implements TokenizerProvider {
    @Override
    public boolean canLoad(Path modelDir) {
        return HfTokenizer.isTokenizerFolder(modelDir);
    }

    @Override
    public Tokenizer load(Path modelDir) throws IOException {
        return HfTokenizer.load(modelDir);
    }
}
