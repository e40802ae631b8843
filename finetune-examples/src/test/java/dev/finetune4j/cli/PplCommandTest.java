package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.encoding.TokenizedJsonl;
import dev.finetune4j.model.GoldenModels;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PplCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path tmp;

    /** The golden qwen2 rows: mean_nll equals the PyTorch reference's HF causal-LM loss. */
    @Test
    void meanNllEqualsTheReferenceLoss() throws Exception {
        GoldenModels.Spec spec = GoldenModels.specs().get("qwen2");
        Path model = tmp.resolve("model");
        spec.writer().write(model);
        List<EncodedExample> rows = new ArrayList<>();
        for (int i = 0; i < spec.tokens().length; i++) {
            rows.add(new EncodedExample(spec.tokens()[i], spec.labels()[i]));
        }
        Path data = tmp.resolve("data.jsonl");
        TokenizedJsonl.write(data, rows);
        CliTestSupport.Result r = CliTestSupport.run("ppl", "--model", model.toString(), "--tokenized-path",
                data.toString(), "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode out = JSON.readTree(r.out());
        JsonNode golden;
        try (InputStream in = GoldenModels.class.getResourceAsStream("/golden/qwen2.json")) {
            golden = JSON.readTree(in);
        }
        assertEquals(golden.get("loss").asDouble(), out.get("mean_nll").asDouble(), 1e-5);
        assertEquals(Math.exp(out.get("mean_nll").asDouble()), out.get("perplexity").asDouble(), 1e-9);
        assertEquals(13 + 9, out.get("tokens").asLong()); // 16-3 and 16-7 label tokens, scored after the shift
        assertEquals(2, out.get("examples").asInt());
    }

    @Test
    void paddingDoesNotChangeTheResult() throws Exception {
        GoldenModels.Spec spec = GoldenModels.specs().get("qwen3-headdim32");
        Path model = tmp.resolve("model");
        spec.writer().write(model);
        Path data = tmp.resolve("data.jsonl");
        TokenizedJsonl.write(data, List.of(
                new EncodedExample(new int[] {5, 6, 7, 8, 9, 10, 11}, new int[] {-100, -100, 7, 8, 9, 10, 11}),
                new EncodedExample(new int[] {40, 41, 42}, new int[] {40, 41, 42}),
                new EncodedExample(new int[] {100, 3, 200, 4, 300, 5, 17, 18, 19, 20, 21}, new int[] {100, 3, 200, 4, 300,
                        5, 17, 18, 19, 20, 21})));
        JsonNode one = JSON.readTree(CliTestSupport.run("ppl", "--model", model.toString(), "--tokenized-path",
                data.toString(), "--batch-size", "1", "--device", "cpu").out());
        JsonNode three = JSON.readTree(CliTestSupport.run("ppl", "--model", model.toString(), "--tokenized-path",
                data.toString(), "--batch-size", "3", "--device", "cpu").out());
        assertEquals(one.get("mean_nll").asDouble(), three.get("mean_nll").asDouble(), 1e-6);
        double ppl = one.get("mean_example_perplexity").asDouble();
        // float32 sums: equal to a few ulps of the value (~3,000 here), not to a fixed 1e-4
        assertEquals(ppl, three.get("mean_example_perplexity").asDouble(), 1e-6 * ppl);
        assertEquals(5 + 2 + 10, three.get("tokens").asLong());
    }

    @Test
    void userErrorsAreOneLine() throws Exception {
        CliTestSupport.Result r = CliTestSupport.run("ppl", "--model", tmp.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("give either --tokenized-path"), r.err());
        r = CliTestSupport.run("ppl", "--model", tmp.toString(), "--tokenized-path", tmp.resolve("none.jsonl").toString(),
                "--device", "cpu");
        assertEquals(1, r.exitCode());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
