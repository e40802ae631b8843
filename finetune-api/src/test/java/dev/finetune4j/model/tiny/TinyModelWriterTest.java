package dev.finetune4j.model.tiny;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.checkpoint.SafeDType;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class TinyModelWriterTest {
    @TempDir
    Path tmp;

    private static ModelConfig qwen2() {
        return ModelConfig.builder("qwen2").hidden(32).layers(1).heads(4).kvHeads(2).intermediate(48).vocab(600).build();
    }

    @Test
    void tokenizerRoundTripsInHuggingFaceTokenizers() throws Exception {
        ModelConfig cfg = TinyModelWriter.of(qwen2()).seed(1).write(tmp);
        TinyTokenizer tok = TinyModelWriter.of(qwen2()).tokenizer();
        assertEquals(tok.endOfTextId(), cfg.bosTokenId());
        assertEquals(java.util.List.of(tok.imEndId()), cfg.eosTokenIds());
        String text = "<|im_start|>user\n你好，请问有什么可以帮您？ Hello, world! 123<|im_end|>\n<|endoftext|>";
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(tmp.resolve("tokenizer.json"))) {
            Encoding enc = hf.encode(text, false, false);
            long[] ids = enc.getIds();
            assertEquals(tok.imStartId(), ids[0], "special tokens are single tokens");
            assertEquals(tok.endOfTextId(), ids[ids.length - 1]);
            assertEquals(text, hf.decode(ids, false), "decode(encode(text)) == text");
            for (long id : ids) {
                assertTrue(id < cfg.vocabSize());
            }
            // the learned merges shorten Chinese and English text well below one token per byte
            String plain = "您的订单已经发货，预计两到三个工作日内送达。 Your order has been shipped.";
            long[] p = hf.encode(plain, false, false).getIds();
            int bytes = plain.getBytes(StandardCharsets.UTF_8).length;
            assertTrue(p.length * 3 < bytes * 2, p.length + " tokens for " + bytes + " bytes");
            assertEquals(plain, hf.decode(p, false));
        }
    }

    @Test
    void configAndGenerationFilesAreHuggingFaceShaped() throws Exception {
        TinyModelWriter.of(qwen2()).seed(1).write(tmp);
        ObjectMapper json = new ObjectMapper();
        JsonNode cfg = json.readTree(tmp.resolve("config.json").toFile());
        assertEquals("qwen2", cfg.get("model_type").asText());
        assertEquals("Qwen2ForCausalLM", cfg.get("architectures").get(0).asText());
        JsonNode gen = json.readTree(tmp.resolve("generation_config.json").toFile());
        assertEquals(2, gen.get("eos_token_id").size());
        JsonNode tc = json.readTree(tmp.resolve("tokenizer_config.json").toFile());
        assertEquals("<|im_end|>", tc.get("eos_token").asText());
        assertTrue(tc.get("chat_template").asText().contains("<|im_start|>"));
        assertEquals(ModelConfig.read(tmp), TinyModelWriter.of(qwen2()).writtenConfig(TinyModelWriter.of(qwen2()).tokenizer()));
    }

    @Test
    void sameSeedSameBytesDifferentSeedDifferentWeights() throws Exception {
        TinyModelWriter.of(qwen2()).seed(7).write(tmp.resolve("a"));
        TinyModelWriter.of(qwen2()).seed(7).write(tmp.resolve("b"));
        TinyModelWriter.of(qwen2()).seed(8).write(tmp.resolve("c"));
        byte[] a = Files.readAllBytes(tmp.resolve("a/model.safetensors"));
        assertArrayEquals(a, Files.readAllBytes(tmp.resolve("b/model.safetensors")));
        assertTrue(!java.util.Arrays.equals(a, Files.readAllBytes(tmp.resolve("c/model.safetensors"))));
    }

    @Test
    void storedValuesAreTheGeneratorsRoundedToTheStorageType() throws Exception {
        for (SafeDType dt : new SafeDType[] {SafeDType.F32, SafeDType.BF16, SafeDType.F16}) {
            Path dir = tmp.resolve(dt.name());
            TinyModelWriter.of(qwen2()).seed(3).std(0.2).dtype(dt).write(dir);
            try (CausalLM m = CausalLM.load(dir)) {
                RandomWeights w = new RandomWeights(3, 0.2, 0.1);
                for (Map.Entry<String, dev.finetune4j.nn.Parameter> e : m.namedParameters().entrySet()) {
                    float[] got = e.getValue().value().dup().data().asFloat();
                    RandomWeights.Stream s = w.stream(e.getKey());
                    for (int i = 0; i < Math.min(got.length, 50); i++) {
                        float v = s.next();
                        float want = switch (dt) {
                            case BF16 -> dev.finetune4j.checkpoint.HalfFloats.bf16ToFloat(
                                    dev.finetune4j.checkpoint.HalfFloats.floatToBf16(v));
                            case F16 -> dev.finetune4j.checkpoint.HalfFloats.f16ToFloat(
                                    dev.finetune4j.checkpoint.HalfFloats.floatToF16(v));
                            default -> v;
                        };
                        assertEquals(want, got[i], 0f, dt + " " + e.getKey() + "[" + i + "]");
                    }
                }
                assertEquals(DataType.FLOAT, m.dataType());
            }
        }
    }

    @Test
    void vocabTooSmallForTheTokenizerIsAClearError() {
        ModelConfig small = ModelConfig.builder("llama").hidden(16).layers(1).heads(2).kvHeads(2).intermediate(32)
                .vocab(100).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TinyModelWriter.of(small).write(tmp));
        assertTrue(e.getMessage().contains("at least 259"), e.getMessage());
    }

    @Test
    void namesAndShapesMatchTheModel() throws Exception {
        for (String family : ModelConfig.SUPPORTED_MODEL_TYPES) {
            ModelConfig cfg = ModelConfig.builder(family).hidden(16).layers(2).heads(2).kvHeads(1).intermediate(24)
                    .vocab(300).build();
            CausalLM m = CausalLM.create(cfg, dev.finetune4j.model.ModelOptions.defaults(), new RandomWeights(1, 0.02, 0.1));
            Map<String, long[]> shapes = CausalLM.parameterShapes(cfg);
            assertEquals(shapes.keySet(), m.namedParameters().keySet(), family);
            shapes.forEach((n, s) -> assertArrayEquals(s, m.namedParameters().get(n).value().shape(), n));
        }
    }
}
