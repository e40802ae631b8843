package dev.finetune4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.testing.SharedFixtures;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HF tokenizer through DJL: same ids as transformers.js, no truncation, no special tokens added. */
class HfTokenizerTest {
    @Test
    void encodesLikeTheReference() throws Exception {
        JsonNode golden;
        try (InputStream in = getClass().getResourceAsStream("/golden/encode_golden.json")) {
            golden = new ObjectMapper().readTree(in);
        }
        int checked = 0;
        for (JsonNode c : golden) {
            Tokenizer tok = TestTokenizers.get(c.get("tokenizer").asText());
            String text = c.get("text").asText();
            int[] expected = new int[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.get("ids").get(i).asInt();
            }
            assertArrayEquals(expected, tok.encode(text), c.get("tokenizer") + " " + text.substring(0, Math.min(40,
                    text.length())));
            assertEquals(text, tok.decode(tok.encode(text), false));
            checked++;
        }
        assertEquals(12, checked);
    }

    @Test
    void longInputsAreNotTruncatedAndNoSpecialTokensAreAdded() {
        for (Tokenizer tok : List.of(TestTokenizers.qwen3(), TestTokenizers.llama3())) {
            int[] ids = tok.encode(" hello".repeat(5000));
            assertEquals(5000, ids.length); // " hello" is one token in both vocabularies
            assertEquals(1, tok.encode("Hello").length);
            List<int[]> batch = tok.encodeAll(List.of(" hello".repeat(700), "Hi"));
            assertEquals(700, batch.get(0).length);
            assertArrayEquals(tok.encode("Hi"), batch.get(1));
        }
    }

    @Test
    void specialTokensAndConfig() {
        Tokenizer q = TestTokenizers.qwen3();
        assertEquals(151645, q.eosId().getAsInt()); // <|im_end|>
        assertEquals(151643, q.padId().getAsInt()); // <|endoftext|>
        assertTrue(q.bosId().isEmpty());
        assertEquals(151644, q.tokenId("<|im_start|>").getAsInt());
        assertTrue(q.isSpecial(151644));
        assertFalse(q.isSpecial(9707));
        assertEquals("Hello", q.token(9707).orElseThrow());
        assertEquals(151669, q.vocabSize()); // len(tokenizer)
        assertTrue(q.chatTemplate().orElseThrow().contains("<|im_start|>"));
        assertFalse(q.addBosToken());
        Tokenizer l = TestTokenizers.llama3();
        assertEquals(128000, l.bosId().getAsInt());
        assertEquals(128001, l.eosId().getAsInt());
        assertTrue(l.padId().isEmpty());
        assertEquals(128009, l.tokenId("<|eot_id|>").getAsInt());
        assertEquals(128256, l.vocabSize());
    }

    @Test
    void offsetsCoverTheText() {
        Tokenizer q = TestTokenizers.qwen3();
        String text = "<|im_start|>user\n你好 😀 there<|im_end|>";
        TokenizedText tt = q.encodeWithOffsets(text);
        assertArrayEquals(q.encode(text), tt.ids());
        assertEquals(0, tt.starts()[0]);
        assertEquals("<|im_start|>", text.substring(tt.starts()[0], tt.ends()[0]));
        assertEquals(text.length(), tt.ends()[tt.ids().length - 1]);
        assertEquals("<|im_end|>", text.substring(tt.starts()[tt.ids().length - 1], tt.ends()[tt.ids().length - 1]));
    }

    @Test
    void chatTemplateJinjaFileWinsAndStringSpecialTokensWork(@TempDir Path dir) throws Exception {
        Path src = SharedFixtures.require("fixtures/tokenizers/qwen3");
        Files.copy(src.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": {\"content\": \"<|im_end|>\"}, "
                + "\"chat_template\": \"from config\"}");
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"pad_token\": \"<|endoftext|>\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "from file");
        try (Tokenizer t = Tokenizers.load(dir)) {
            assertEquals("from file", t.chatTemplate().orElseThrow());
            assertEquals(151645, t.eosId().getAsInt());
            assertEquals(151643, t.padId().getAsInt());
        }
    }
}
