package dev.finetune4j.encoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.data.Batch;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetSource;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.Message;
import dev.finetune4j.template.ChatTemplates;
import dev.finetune4j.template.JinjaChatTemplate;
import dev.finetune4j.testing.SharedFixtures;
import dev.finetune4j.tokenizer.HfTokenizer;
import dev.finetune4j.tokenizer.Tokenizer;
import dev.finetune4j.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The path the trainer takes with finetune-api types only: Tokenizers.load → Encoders.create(name) → encode a
 * source → collate, found through ServiceLoader; here on customer-service.jsonl (read with Jackson).
 */
class ServiceWiringTest {
    static DatasetSource customerService(Path file) {
        return new DatasetSource() {
            @Override
            public String description() {
                return file.toString();
            }

            @Override
            public Stream<Example> open() throws java.io.IOException {
                ObjectMapper m = new ObjectMapper();
                List<Example> out = new ArrayList<>();
                for (String line : Files.readAllLines(file)) {
                    JsonNode ms = m.readTree(line).get("messages");
                    List<Message> turns = new ArrayList<>();
                    String system = "";
                    for (JsonNode x : ms) {
                        switch (x.get("role").asText()) {
                            case "system" -> system = x.get("content").asText();
                            case "user" -> turns.add(Message.user(x.get("content").asText()));
                            default -> turns.add(Message.assistant(x.get("content").asText()));
                        }
                    }
                    out.add(Conversation.of(system, turns));
                }
                return out.stream();
            }
        };
    }

    @Test
    void endToEndThroughTheApiInterfaces() throws Exception {
        Path model = SharedFixtures.require("fixtures/tokenizers/qwen3");
        Path data = SharedFixtures.require("data/customer-service.jsonl");
        try (Tokenizer tok = Tokenizers.load(model)) {
            assertInstanceOf(HfTokenizer.class, tok);
            DatasetEncoder enc = Encoders.create(tok, "qwen3", EncodingConfig.builder().cutoffLen(1024).build());
            EncodedDataset d = enc.encode(customerService(data));
            assertEquals(12, d.examples().size());
            assertEquals(0, d.dropped());
            // the jinja template (the model's own) trains the same tokens for these single-turn chats
            DatasetEncoder jinja = Encoders.create(tok, "jinja", EncodingConfig.builder().cutoffLen(1024).build());
            assertInstanceOf(JinjaChatTemplate.class, jinja.template());
            List<EncodedExample> viaJinja = jinja.encode(customerService(data)).examples();
            assertEquals(d.examples(), viaJinja);

            Batch b = enc.collate(d.examples().subList(0, 4));
            assertEquals(4, b.batchSize());
            EncodedExample first = d.examples().get(0);
            assertArrayEquals(first.inputIds(), java.util.Arrays.copyOf(b.inputIds().getRow(0).toIntVector(),
                    first.length()));
            assertTrue(b.lossTokenCount() > 0);

            DatasetEncoder packed = Encoders.create(tok, ChatTemplates.get("qwen3"), EncodingConfig.builder()
                    .cutoffLen(256).neatPacking(true).build());
            EncodedDataset p = packed.encode(customerService(data));
            assertEquals(12, p.packed().stream().mapToInt(PackedSequence::exampleCount).sum());
            int maxSegment = packed.collatePacked(p.packed()).attentionMask().maxNumber().intValue();
            assertEquals(p.packed().stream().mapToInt(PackedSequence::exampleCount).max().getAsInt(), maxSegment);
            assertTrue(maxSegment > 1);
        }
    }
}
