package dev.finetune4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.loss.CausalLmLoss;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Logits of tiny llama / qwen2 / qwen3 / mistral models (GQA, MQA, bias, q/k norm, head_dim != hidden/heads, tied and
 * untied heads, rope_theta 1e4 / 5e5 / 1e6, llama3 and linear rope scaling, a sliding window, F32 / BF16 / F16
 * files) equal the PyTorch reference's within 1e-4 (golden files made by src/test/resources/golden/make_golden.py).
 */
class GoldenLogitsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path tmp;

    static Stream<String> names() {
        return GoldenModels.specs().keySet().stream();
    }

    @ParameterizedTest
    @MethodSource("names")
    void logitsAndLossEqualTheReference(String name) throws Exception {
        GoldenModels.Spec spec = GoldenModels.specs().get(name);
        Path dir = tmp.resolve(name);
        spec.writer().write(dir);
        JsonNode meta = resourceJson(name + ".json");
        // the writer is deterministic: the same bytes as when the golden values were made
        for (Iterator<Map.Entry<String, JsonNode>> it = meta.get("weights_sha256").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            assertEquals(e.getValue().asText(), sha256(dir.resolve(e.getKey())), name + ": " + e.getKey());
        }
        INDArray expected = resourceTensor(name + ".safetensors", "logits");
        try (CausalLM model = CausalLM.load(dir)) {
            Batch batch = TestBatches.of(spec.tokens(), spec.labels(), ones(spec.tokens()), positions(spec.tokens()));
            INDArray logits = model.logits(batch);
            double maxAbs = logits.sub(expected).amaxNumber().doubleValue();
            assertTrue(maxAbs <= 1e-4, name + ": max |logit - reference| = " + maxAbs);
            org.slf4j.LoggerFactory.getLogger(GoldenLogitsTest.class).info("{}: max abs logit diff {}", name, maxAbs);
            CausalLmLoss.Result loss = model.loss(batch);
            assertEquals(meta.get("loss").asDouble(), loss.loss(), 1e-5, name + ": loss");
        }
    }

    @Test
    void shardedCheckpointLoadsTheSameWeights() throws Exception {
        GoldenModels.Spec spec = GoldenModels.specs().get("qwen2");
        Path single = tmp.resolve("qwen2-single");
        Path sharded = tmp.resolve("qwen2-sharded");
        spec.writer().write(single);
        spec.writer().shards(3).write(sharded);
        try (Stream<Path> files = Files.list(sharded)) {
            assertEquals(3, files.filter(p -> p.getFileName().toString().matches("model-0000[1-3]-of-00003.safetensors"))
                    .count());
        }
        try (CausalLM a = CausalLM.load(single); CausalLM b = CausalLM.load(sharded)) {
            a.namedParameters().forEach((n, p) -> assertEquals(p.value(), b.namedParameters().get(n).value(), n));
            INDArray expected = resourceTensor("qwen2.safetensors", "logits");
            Batch batch = TestBatches.plain(spec.tokens());
            assertTrue(b.logits(batch).sub(expected).amaxNumber().doubleValue() <= 1e-4);
        }
    }

    static int[][] ones(int[][] t) {
        int[][] m = new int[t.length][t[0].length];
        for (int[] row : m) {
            java.util.Arrays.fill(row, 1);
        }
        return m;
    }

    static int[][] positions(int[][] t) {
        int[][] p = new int[t.length][t[0].length];
        for (int[] row : p) {
            for (int j = 0; j < row.length; j++) {
                row[j] = j;
            }
        }
        return p;
    }

    static JsonNode resourceJson(String name) throws IOException {
        try (InputStream in = GoldenLogitsTest.class.getResourceAsStream("/golden/" + name)) {
            return JSON.readTree(in);
        }
    }

    static INDArray resourceTensor(String file, String tensor) throws IOException {
        Path p = tmp.resolve("golden-" + file);
        try (InputStream in = GoldenLogitsTest.class.getResourceAsStream("/golden/" + file)) {
            Files.write(p, in.readAllBytes());
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            return f.load(tensor, DataType.FLOAT);
        }
    }

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }
}
