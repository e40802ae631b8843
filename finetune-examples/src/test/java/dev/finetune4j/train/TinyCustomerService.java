package dev.finetune4j.train;

import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.tiny.TinyModelWriter;
import dev.finetune4j.testing.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A tiny qwen2 model whose tokenizer learned its merges from the customer-service examples (tests only). */
final class TinyCustomerService {
    private TinyCustomerService() {
    }

    static Path data() {
        return SharedFixtures.require("data/customer-service.jsonl");
    }

    /** Writes the model into {@code dir} and returns it. Init std 0.2: the tied head's logits can reach useful values. */
    static Path writeModel(Path dir) throws IOException {
        ModelConfig arch = ModelConfig.builder("qwen2").hidden(128).layers(2).heads(4).kvHeads(2).intermediate(256)
                .vocab(768).build();
        TinyModelWriter.of(arch).seed(1).std(0.2).tokenizerCorpus(Files.readString(data())).write(dir);
        return dir;
    }
}
