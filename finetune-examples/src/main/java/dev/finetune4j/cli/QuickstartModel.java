package dev.finetune4j.cli;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.tiny.TinyModelWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The quickstart's material: the customer-service examples ({@code examples/customer-service.jsonl}, carried in the
 * jar) and the tiny model that learns them in seconds, a qwen2 with hidden size 128, 2 layers and a 768-token
 * byte-level BPE vocabulary whose merges are learned from the examples (the same model as the training tests).
 */
final class QuickstartModel {
    static final String DATA_RESOURCE = "quickstart/customer-service.jsonl";
    static final String DATA_FILE_NAME = "customer-service.jsonl";

    private QuickstartModel() {
    }

    /** The text of the bundled customer-service examples (SiliconFlow JSONL). */
    static String customerServiceText() throws IOException {
        try (InputStream in = QuickstartModel.class.getResourceAsStream(DATA_RESOURCE)) {
            if (in == null) {
                throw new FineTuneException("the quickstart data " + DATA_RESOURCE + " is missing from the jar: rebuild"
                        + " with mvn -pl finetune-examples -am package");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The architecture: small enough to train in seconds on two cores. */
    static ModelConfig architecture() {
        return ModelConfig.builder("qwen2").hidden(128).layers(2).heads(4).kvHeads(2).intermediate(256).vocab(768)
                .build();
    }

    /** Writes the tiny model (random weights, seed 1, std 0.2) whose tokenizer learned {@code corpus}. */
    static ModelConfig write(Path dir, String corpus) throws IOException {
        return TinyModelWriter.of(architecture()).seed(1).std(0.2).tokenizerCorpus(corpus).write(dir);
    }
}
