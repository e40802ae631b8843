package dev.finetune4j.datasets.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.InvalidDatasetException;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.datasets.DatasetFormat;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.testing.SharedFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConversionTest {
    @TempDir
    Path tmp;

    static List<Example> read(dev.finetune4j.datasets.Dataset d) throws IOException {
        try (Stream<Example> s = d.strict().open()) {
            return s.collect(Collectors.toList());
        }
    }

    /**
     * Alpaca → SiliconFlow → ShareGPT → Alpaca keeps every message and system prompt. What it does not keep is
     * the instruction/input split: the reader joins them into one user turn ("instruction\ninput"), which the
     * writers carry as is, so the final file has that text as instruction and an empty input.
     */
    @ParameterizedTest
    @ValueSource(strings = {"alpaca_zh_demo.json", "identity.json"})
    void alpacaSiliconFlowShareGptAlpacaRoundTrip(String name) throws Exception {
        Path src = SharedFixtures.require("data/llamafactory/" + name);
        List<Example> original = read(Datasets.alpaca(src));
        Path sf = tmp.resolve("a.jsonl");
        Path sg = tmp.resolve("b.json");
        Path back = tmp.resolve("c.json");
        assertEquals(original.size(), DatasetConverter.convert(Datasets.alpaca(src).strict(), DatasetFormat.SILICONFLOW, sf));
        assertEquals(original, read(Datasets.siliconFlow(sf)));
        assertEquals(original.size(), DatasetConverter.convert(Datasets.siliconFlow(sf).strict(), DatasetFormat.SHAREGPT, sg));
        assertEquals(original, read(Datasets.shareGpt(sg)));
        assertEquals(original.size(), DatasetConverter.convert(Datasets.shareGpt(sg).strict(), DatasetFormat.ALPACA, back));
        List<Example> last = read(Datasets.alpaca(back));
        assertEquals(original, last);
        long withInput = original.stream().filter(e -> ((Conversation) e).messages().get(0).content().contains("\n"))
                .count();
        assertTrue(name.equals("identity.json") || withInput > 0, "alpaca_zh_demo has records with an input");
    }

    @Test
    void systemPromptsAndMultiTurnHistorySurvive() throws Exception {
        Path src = tmp.resolve("in.jsonl");
        Files.writeString(src, "{\"instruction\": \"Translate\", \"input\": \"bonjour\", \"output\": \"hello\","
                + " \"system\": \"Be brief.\", \"history\": [[\"hi\", \"Hello!\"], [\"and?\", \"more\"]]}\n");
        Path sf = tmp.resolve("a.jsonl");
        Path sg = tmp.resolve("b.jsonl");
        Path back = tmp.resolve("c.jsonl");
        DatasetConverter.convert(Datasets.alpaca(src), DatasetFormat.SILICONFLOW, sf);
        assertEquals("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"hi\"},"
                + "{\"role\":\"assistant\",\"content\":\"Hello!\"},{\"role\":\"user\",\"content\":\"and?\"},"
                + "{\"role\":\"assistant\",\"content\":\"more\"},{\"role\":\"user\",\"content\":\"Translate\\nbonjour\"},"
                + "{\"role\":\"assistant\",\"content\":\"hello\"}]}\n", Files.readString(sf));
        DatasetConverter.convert(Datasets.siliconFlow(sf), DatasetFormat.SHAREGPT, sg);
        DatasetConverter.convert(Datasets.shareGpt(sg), DatasetFormat.ALPACA, back);
        assertEquals("{\"instruction\":\"Translate\\nbonjour\",\"input\":\"\",\"output\":\"hello\",\"system\":\"Be brief.\","
                + "\"history\":[[\"hi\",\"Hello!\"],[\"and?\",\"more\"]]}\n", Files.readString(back));
        assertEquals(read(Datasets.alpaca(src)), read(Datasets.alpaca(back)));
    }

    @Test
    void toolsAndToolTurnsCannotBecomeSiliconFlowOrAlpaca() throws Exception {
        Path glaive = SharedFixtures.require("data/llamafactory/glaive_toolcall_en_demo.json");
        Path out = tmp.resolve("out.jsonl");
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class,
                () -> DatasetConverter.convert(Datasets.shareGpt(glaive).strict(3), DatasetFormat.SILICONFLOW, out));
        assertEquals(3, e.problems().size());
        DatasetProblem p = e.problems().get(0);
        assertEquals("convert-siliconflow", p.rule());
        assertEquals(2, p.line()); // the first record of the array starts on line 2
        assertTrue(p.format().contains("record 1: cannot be written as siliconflow: it has tools, and SiliconFlow JSONL"
                + " has no place for tools"), p.format());
        assertFalse(Files.exists(out), "nothing written");
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(0, s.count(), "no temporary file left");
        }
        e = assertThrows(InvalidDatasetException.class,
                () -> DatasetConverter.convert(Datasets.shareGpt(glaive), DatasetFormat.ALPACA, tmp.resolve("a.json")));
        assertTrue(e.getMessage().contains("Alpaca has no tools column"), e.getMessage());

        Path obs = tmp.resolve("obs.jsonl");
        Files.writeString(obs, "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"function_call\","
                + " \"value\": \"{}\"}, {\"from\": \"observation\", \"value\": \"r\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}\n");
        e = assertThrows(InvalidDatasetException.class,
                () -> DatasetConverter.convert(Datasets.shareGpt(obs), DatasetFormat.SILICONFLOW, out));
        assertTrue(e.getMessage().contains("message 2 is function_call (a tool call), and SiliconFlow JSONL"),
                e.getMessage());
    }

    @Test
    void preferencePairsBetweenAlpacaAndShareGpt() throws Exception {
        Path dpo = SharedFixtures.require("data/llamafactory/dpo_en_demo.json");
        List<Example> pairs = read(Datasets.shareGpt(dpo));
        assertTrue(pairs.get(0) instanceof PreferenceExample);
        Path a = tmp.resolve("a.jsonl");
        Path b = tmp.resolve("b.json");
        DatasetConverter.convert(Datasets.shareGpt(dpo), DatasetFormat.ALPACA, a);
        DatasetConverter.convert(Datasets.alpaca(a), DatasetFormat.SHAREGPT, b);
        assertEquals(pairs, read(Datasets.shareGpt(b)));
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class,
                () -> DatasetConverter.convert(Datasets.shareGpt(dpo), DatasetFormat.SILICONFLOW, tmp.resolve("c.jsonl")));
        assertTrue(e.getMessage().contains("a preference pair (chosen/rejected) has no SiliconFlow form"), e.getMessage());
    }

    @Test
    void invalidInputStopsTheConversion() throws Exception {
        Path src = tmp.resolve("in.jsonl");
        Files.writeString(src, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\","
                + " \"content\": \"a\"}]}\n{\"messages\": []}\n", StandardCharsets.UTF_8);
        Path out = tmp.resolve("out.json");
        Files.writeString(out, "old");
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class,
                () -> DatasetConverter.convert(Datasets.siliconFlow(src), DatasetFormat.ALPACA, out));
        assertEquals("siliconflow-2-messages", e.problems().get(0).rule());
        assertEquals("old", Files.readString(out), "the old file is untouched");
    }

    @Test
    void jsonArrayOutputIsIndented() throws Exception {
        Path src = tmp.resolve("in.jsonl");
        Files.writeString(src, "{\"instruction\": \"q\", \"output\": \"a\"}\n");
        Path out = tmp.resolve("out.json");
        DatasetConverter.convert(Datasets.alpaca(src), DatasetFormat.ALPACA, out);
        assertEquals("[\n  {\n    \"instruction\": \"q\",\n    \"input\": \"\",\n    \"output\": \"a\"\n  }\n]\n",
                Files.readString(out));
        assertEquals(List.of(Conversation.of(List.of(Message.user("q"), Message.assistant("a")))),
                read(Datasets.alpaca(out)));
    }
}
