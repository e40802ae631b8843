package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.data.Example;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.encoding.EncodingConfig;
import dev.finetune4j.encoding.Encoders;
import dev.finetune4j.encoding.TokenizedJsonl;
import dev.finetune4j.model.GoldenModels;
import dev.finetune4j.testing.SharedFixtures;
import dev.finetune4j.tokenizer.Tokenizer;
import dev.finetune4j.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** validate, convert, preprocess and ppl --dataset, through the command line as a user runs them. */
class DatasetCommandsTest {
    static final String GOOD = "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, "
            + "{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}";

    @TempDir
    Path tmp;

    @Test
    void validatePrintsEachProblemThenTheCounts() throws Exception {
        Path f = tmp.resolve("cs.jsonl");
        Files.writeString(f, GOOD + "\n{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"tool\","
                + " \"content\": \"a\"}]}\n" + GOOD + "\n{\"messages\": [\n");
        CliTestSupport.Result r = CliTestSupport.run("validate", f.toString(), "--format", "siliconflow");
        assertEquals(1, r.exitCode(), r.err());
        assertEquals(List.of(
                f + ":2: record 2, messages[1].role: role \"tool\" is not allowed; use system, user or assistant"
                        + " [siliconflow-4-roles]",
                f + ":4: column 15, record 4: JSON syntax error: Unexpected end-of-input: expected close marker for"
                        + " Array (start marker at column 14) [siliconflow-1-jsonl]",
                "4 records, 2 invalid"), r.out().lines().toList());
    }

    @Test
    void validateCustomerServiceIsClean() {
        Path cs = SharedFixtures.require("data/customer-service.jsonl");
        CliTestSupport.Result r = CliTestSupport.run("validate", cs.toString(), "--format", "siliconflow");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertEquals("12 records, 0 invalid\n", r.out());
        // the format is guessed when left out
        assertEquals(0, CliTestSupport.run("validate", cs.toString()).exitCode());
    }

    @Test
    void validateRegistryEntries() {
        Path dir = SharedFixtures.require("data/llamafactory/dataset_info.json").getParent();
        CliTestSupport.Result r = CliTestSupport.run("validate", "--dataset-dir", dir.toString(), "--dataset",
                "identity,glaive_toolcall_en_demo");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertEquals("391 records, 0 invalid\n", r.out());
        r = CliTestSupport.run("validate", "--dataset-dir", dir.toString(), "--dataset", "mllm_demo");
        assertEquals(0, r.exitCode());
        assertEquals("6 records, 0 invalid\n", r.out());
        assertTrue(r.err().startsWith("warning: dataset 'mllm_demo': the images column 'images' is not supported"),
                r.err());
        r = CliTestSupport.run("validate", "--dataset-dir", dir.toString(), "--dataset", "alpaca_en");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().strip().endsWith("remote datasets are not available; download it and use file_name"), r.err());
        assertEquals(1, r.err().strip().lines().count());
    }

    @Test
    void validateUsageErrors() {
        assertEquals(2, CliTestSupport.run("validate").exitCode());
        assertEquals(2, CliTestSupport.run("validate", "x.jsonl", "--dataset", "a").exitCode());
        CliTestSupport.Result r = CliTestSupport.run("validate", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("--dataset-dir"), r.out());
    }

    @Test
    void convertWritesAtomicallyAndRefusesWhatCannotBeHeld() throws Exception {
        Path src = SharedFixtures.require("data/llamafactory/identity.json");
        Path out = tmp.resolve("identity.jsonl");
        CliTestSupport.Result r = CliTestSupport.run("convert", src.toString(), "--from", "alpaca", "--to", "siliconflow",
                "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("wrote 91 records to " + out + " (siliconflow)\n", r.out());
        assertEquals(0, CliTestSupport.run("validate", out.toString(), "--format", "siliconflow").exitCode());
        List<Example> a;
        List<Example> b;
        try (Stream<Example> s = Datasets.alpaca(src).open(); Stream<Example> t = Datasets.siliconFlow(out).open()) {
            a = s.collect(Collectors.toList());
            b = t.collect(Collectors.toList());
        }
        assertEquals(a, b);

        Path glaive = SharedFixtures.require("data/llamafactory/glaive_toolcall_en_demo.json");
        Path bad = tmp.resolve("glaive.jsonl");
        r = CliTestSupport.run("convert", glaive.toString(), "--from", "sharegpt", "--to", "siliconflow", "--out",
                bad.toString(), "--max-problems", "2");
        assertEquals(1, r.exitCode());
        List<String> lines = r.err().lines().toList();
        assertEquals(3, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith(glaive + ":2: record 1: cannot be written as siliconflow: it has tools"),
                lines.get(0));
        assertTrue(lines.get(2).startsWith("finetune: nothing written to " + bad), lines.get(2));
        assertFalse(Files.exists(bad));
    }

    @Test
    void preprocessEncodesEachRecordAsTheEncoderDoes() throws Exception {
        Path model = tmp.resolve("model");
        GoldenModels.specs().get("qwen2").writer().write(model);
        Path cs = SharedFixtures.require("data/customer-service.jsonl");
        Path out = tmp.resolve("cs.tokens.jsonl");
        CliTestSupport.Result r = CliTestSupport.run("preprocess", "--model", model.toString(), "--template", "qwen",
                "--dataset", cs.toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("wrote 12 examples to " + out + "\n", r.out());
        List<EncodedExample> rows = TokenizedJsonl.read(out);
        assertEquals(12, rows.size());
        Conversation first;
        try (Stream<Example> s = Datasets.siliconFlow(cs).open()) {
            first = (Conversation) s.findFirst().orElseThrow();
        }
        try (Tokenizer tok = Tokenizers.load(model)) {
            EncodedExample expected = Encoders.create(tok, "qwen", EncodingConfig.builder().packing(false).build())
                    .encodeSupervised(first).orElseThrow();
            assertEquals(java.util.Arrays.toString(expected.inputIds()), java.util.Arrays.toString(rows.get(0).inputIds()));
            assertEquals(java.util.Arrays.toString(expected.labels()), java.util.Arrays.toString(rows.get(0).labels()));
            assertTrue(rows.get(0).labels()[0] == -100, "the prompt has no loss");
        }
        // pt: labels on every token, cut at cutoff_len
        Path wiki = tmp.resolve("w.txt");
        Files.writeString(wiki, "one document of text\nanother, a little longer document of text\n");
        r = CliTestSupport.run("preprocess", "--model", model.toString(), "--template", "qwen", "--dataset",
                wiki.toString(), "--stage", "pt", "--cutoff-len", "8", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        rows = TokenizedJsonl.read(out);
        assertEquals(2, rows.size());
        for (EncodedExample e : rows) {
            assertTrue(e.inputIds().length <= 8);
            assertEquals(java.util.Arrays.toString(e.inputIds()), java.util.Arrays.toString(e.labels()));
        }
    }

    @Test
    void pplOnADatasetEqualsPplOnItsPreprocessedFile() throws Exception {
        Path model = tmp.resolve("model");
        GoldenModels.specs().get("qwen2").writer().write(model);
        Path cs = SharedFixtures.require("data/customer-service.jsonl");
        Path tokens = tmp.resolve("t.jsonl");
        assertEquals(0, CliTestSupport.run("preprocess", "--model", model.toString(), "--template", "qwen", "--dataset",
                cs.toString(), "--out", tokens.toString()).exitCode());
        CliTestSupport.Result a = CliTestSupport.run("ppl", "--model", model.toString(), "--dataset", cs.toString(),
                "--template", "qwen", "--device", "cpu");
        CliTestSupport.Result b = CliTestSupport.run("ppl", "--model", model.toString(), "--tokenized-path",
                tokens.toString(), "--device", "cpu");
        assertEquals(0, a.exitCode(), a.err());
        assertEquals(0, b.exitCode(), b.err());
        JsonNode ja = new ObjectMapper().readTree(a.out());
        JsonNode jb = new ObjectMapper().readTree(b.out());
        assertEquals(12, ja.get("examples").asInt());
        assertEquals(jb.get("tokens").asLong(), ja.get("tokens").asLong());
        assertEquals(jb.get("mean_nll").asDouble(), ja.get("mean_nll").asDouble(), 1e-12);
        CliTestSupport.Result noTemplate = CliTestSupport.run("ppl", "--model", model.toString(), "--dataset",
                cs.toString());
        assertEquals(1, noTemplate.exitCode());
        assertTrue(noTemplate.err().contains("--dataset needs --template NAME"), noTemplate.err());
    }
}
