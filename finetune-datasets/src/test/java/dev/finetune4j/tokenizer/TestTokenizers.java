package dev.finetune4j.tokenizer;

import dev.finetune4j.testing.SharedFixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The real Qwen3 / Llama 3 tokenizers of ../shared/fixtures, loaded once per test JVM (skips when absent). */
public final class TestTokenizers {
    private static final Map<String, HfTokenizer> CACHE = new ConcurrentHashMap<>();

    private TestTokenizers() {
    }

    public static HfTokenizer get(String name) {
        var dir = SharedFixtures.require("fixtures/tokenizers/" + name);
        return CACHE.computeIfAbsent(name, n -> {
            try {
                return HfTokenizer.load(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public static HfTokenizer qwen3() {
        return get("qwen3");
    }

    public static HfTokenizer llama3() {
        return get("llama3");
    }
}
