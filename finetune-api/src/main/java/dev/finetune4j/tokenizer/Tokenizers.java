package dev.finetune4j.tokenizer;

import dev.finetune4j.FineTuneException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;

/** Loads the tokenizer of a model folder through the {@link TokenizerProvider}s on the class path. */
public final class Tokenizers {
    private Tokenizers() {
    }

    /**
     * The tokenizer in {@code modelDir} (a HuggingFace model folder; only the tokenizer files are needed).
     *
     * @throws FineTuneException if the folder is missing or no provider can read it
     */
    public static Tokenizer load(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            throw new FineTuneException("model folder " + modelDir + " does not exist or is not a folder");
        }
        boolean any = false;
        for (TokenizerProvider p : ServiceLoader.load(TokenizerProvider.class, Tokenizers.class.getClassLoader())) {
            any = true;
            if (p.canLoad(modelDir)) {
                try {
                    return p.load(modelDir);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the tokenizer in " + modelDir + ": " + e.getMessage(), e);
                }
            }
        }
        throw new FineTuneException(any
                ? "no tokenizer in " + modelDir + ": expected tokenizer.json (and tokenizer_config.json)"
                : "no tokenizer implementation on the class path: add the finetune-datasets module");
    }
}
