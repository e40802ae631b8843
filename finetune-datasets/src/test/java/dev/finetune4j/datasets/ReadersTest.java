package dev.finetune4j.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.InvalidDatasetException;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.PreferenceExample;
import dev.finetune4j.data.TextDocument;
import dev.finetune4j.datasets.alpaca.AlpacaConverter;
import dev.finetune4j.datasets.sharegpt.ShareGptConverter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadersTest {
    @TempDir
    Path tmp;

    @Test
    void alpacaJsonArrayWithSystemAndHistory() {
        Path f = TestFiles.write(tmp, "a.json", "[",
                "  {\"instruction\": \"Translate\", \"input\": \"bonjour\", \"output\": \"hello\",",
                "   \"system\": \"Be brief.\", \"history\": [[\"hi\", \"Hello!\"]]},",
                "  {\"instruction\": \"\", \"input\": \"only input\", \"output\": \"x\"},",
                "  {\"instruction\": \"no answer\"}",
                "]");
        List<Example> ex = TestFiles.examples(Datasets.alpaca(f).strict());
        assertEquals(3, ex.size());
        assertEquals(new Conversation("Be brief.", "", List.of(Message.user("hi"), Message.assistant("Hello!"),
                Message.user("Translate\nbonjour"), Message.assistant("hello"))), ex.get(0));
        assertEquals(Conversation.of(List.of(Message.user("only input"), Message.assistant("x"))), ex.get(1));
        assertEquals(Conversation.of(List.of(Message.user("no answer"))), ex.get(2)); // prompt only (unsupervised)
    }

    @Test
    void alpacaJsonLinesPairsAndProblems() {
        Path f = TestFiles.write(tmp, "a.jsonl",
                "{\"instruction\": \"q\", \"chosen\": \"good\", \"rejected\": \"bad\"}",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}]}",
                "{\"instruction\": \"q\", \"output\": 3}",
                "{\"instruction\": \"q\", \"output\": \"a\", \"history\": [[\"only one\"]]}");
        FileDataset d = Datasets.alpaca(f);
        List<DatasetProblem> ps = TestFiles.problems(d);
        assertEquals(3, ps.size(), ps.toString());
        assertEquals(AlpacaConverter.RULE_COLUMNS, ps.get(0).rule());
        assertEquals(2, ps.get(0).line());
        assertTrue(ps.get(0).message().contains("it looks like ShareGPT: use --format sharegpt"), ps.get(0).message());
        assertEquals("output", ps.get(1).field());
        assertEquals(f + ":3: record 3, output: must be a string, got a number [alpaca-string]", ps.get(1).format());
        assertEquals("history[0]", ps.get(2).field());
        List<Example> ex = TestFiles.examples(d);
        assertEquals(1, ex.size());
        PreferenceExample p = assertInstanceOf(PreferenceExample.class, ex.get(0));
        assertEquals(Message.assistant("good"), p.chosen());
    }

    @Test
    void shareGptBothTagStylesSystemAndTools() {
        Path f = TestFiles.write(tmp, "s.jsonl",
                "{\"conversations\": [{\"from\": \"system\", \"value\": \"S\"}, {\"from\": \"human\", \"value\": \"q\"},"
                        + " {\"from\": \"function_call\", \"value\": \"{\\\"name\\\": \\\"f\\\", \\\"arguments\\\": {}}\"},"
                        + " {\"from\": \"observation\", \"value\": \"42\"}, {\"from\": \"gpt\", \"value\": \"a\"}],"
                        + " \"tools\": \"[{\\\"name\\\": \\\"f\\\"}]\"}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}],"
                        + " \"system\": \"column system\"}");
        List<Example> ex = TestFiles.examples(Datasets.shareGpt(f).strict());
        Conversation c = (Conversation) ex.get(0);
        assertEquals("S", c.system());
        assertEquals("[{\"name\": \"f\"}]", c.tools());
        assertEquals(4, c.messages().size());
        assertEquals(dev.finetune4j.data.Role.FUNCTION_CALL, c.messages().get(1).role());
        assertEquals(new Conversation("column system", "", List.of(Message.user("q"), Message.assistant("a"))), ex.get(1));
    }

    @Test
    void shareGptCustomTagsAndColumns() {
        Path f = TestFiles.write(tmp, "s.json", "[{\"dialog\": [{\"speaker\": \"customer\", \"text\": \"q\"},"
                + " {\"speaker\": \"agent\", \"text\": \"a\"}]}]");
        RecordLayout layout = RecordLayout.shareGpt().withColumns(Map.of("messages", "dialog"))
                .withTags(Map.of("role_tag", "speaker", "content_tag", "text", "user_tag", "customer",
                        "assistant_tag", "agent"));
        assertEquals(List.of(Conversation.of(List.of(Message.user("q"), Message.assistant("a")))),
                TestFiles.examples(Datasets.shareGpt(f, layout).strict()));
    }

    @Test
    void shareGptProblemsAsLlamaFactoryNamesThem() {
        Path f = TestFiles.write(tmp, "s.jsonl",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"bot\", \"value\": \"a\"}]}",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}]}",
                "{\"conversations\": [{\"role\": \"user\", \"content\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}",
                "{\"conversations\": [{\"from\": \"gpt\", \"value\": \"a\"}, {\"from\": \"human\", \"value\": \"q\"}]}",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"function_call\", \"value\": \"f(x)\"}]}",
                "{\"instruction\": \"q\", \"output\": \"a\"}");
        List<DatasetProblem> ps = TestFiles.problems(Datasets.shareGpt(f, RecordLayout.shareGpt(Tags.SHAREGPT)));
        assertEquals(List.of(ShareGptConverter.RULE_ROLE, ShareGptConverter.RULE_COUNT, ShareGptConverter.RULE_MESSAGE,
                ShareGptConverter.RULE_ROLE, "function-call-json", ShareGptConverter.RULE_MESSAGES),
                ps.stream().map(DatasetProblem::rule).toList());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), ps.stream().map(DatasetProblem::line).toList());
        assertEquals("conversations[1].from", ps.get(0).field());
        assertTrue(ps.get(0).message().contains("invalid role tag \"bot\""), ps.get(0).message());
        assertTrue(ps.get(2).message().contains("set tags role_tag: role"), ps.get(2).message());
        assertTrue(ps.get(5).message().contains("it looks like Alpaca"), ps.get(5).message());
    }

    @Test
    void textTxtAndJsonl() {
        Path txt = TestFiles.write(tmp, "t.txt", "first doc", "", "second doc");
        assertEquals(List.of(new TextDocument("first doc"), new TextDocument("second doc")),
                TestFiles.examples(Datasets.text(txt)));
        Path jsonl = TestFiles.write(tmp, "t.jsonl", "{\"text\": \"a\"}", "{\"content\": \"b\"}");
        List<DatasetProblem> ps = TestFiles.problems(Datasets.text(jsonl));
        assertEquals(1, ps.size());
        assertEquals(2, ps.get(0).line());
        assertEquals(List.of(new TextDocument("b")), TestFiles.examples(Datasets.text(jsonl, "content")));
    }

    @Test
    void malformedJsonArrayGivesLineAndColumnAndIsFatal() {
        Path f = TestFiles.write(tmp, "a.json", "[",
                "  {\"instruction\": \"a\", \"output\": \"b\"},",
                "  {\"instruction\": \"c\" \"output\": \"d\"},",
                "  {\"instruction\": \"e\", \"output\": \"f\"}",
                "]");
        List<DatasetProblem> ps = TestFiles.problems(Datasets.alpaca(f));
        assertEquals(1, ps.size(), ps.toString());
        assertEquals(3, ps.get(0).line());
        assertEquals(23, ps.get(0).column()); // the quote that should have been a comma
        assertEquals(2, ps.get(0).record());
        assertTrue(ps.get(0).format().startsWith(f + ":3: column 23, record 2: JSON syntax error: Unexpected character"),
                ps.get(0).format());
        // fatal even when lenient: nothing after a syntax error in an array can be located
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class, () -> TestFiles.examples(Datasets.alpaca(f)));
        assertEquals(ps.get(0).format(), e.getMessage());
    }

    @Test
    void syntaxErrorBetweenArrayRecordsBlamesNoRecord() {
        // the closing ] is missing: the two records are good, the file is broken after them
        Path f = TestFiles.write(tmp, "a.json", "[",
                "  {\"instruction\": \"a\", \"output\": \"b\"},",
                "  {\"instruction\": \"c\", \"output\": \"d\"}");
        List<DatasetProblem> ps = TestFiles.problems(Datasets.alpaca(f));
        assertEquals(1, ps.size(), ps.toString());
        assertEquals(0, ps.get(0).record());
        assertEquals(4, ps.get(0).line());
        assertTrue(ps.get(0).format().startsWith(f + ":4: column 1, JSON syntax error after record 2: Unexpected"
                + " end-of-input: expected close marker for Array"), ps.get(0).format());
        ValidationReport r = TestFiles.report(Datasets.alpaca(f));
        assertEquals(2, r.records());
        assertEquals(0, r.invalid());
        assertEquals(1, r.fileProblems());
        assertTrue(!r.ok());
        // still fatal when lenient: the rest of the file cannot be located
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class, () -> TestFiles.examples(Datasets.alpaca(f)));
        assertEquals(ps.get(0).format(), e.getMessage());

        // a missing comma between records: located at the record that should have followed one
        Path g = TestFiles.write(tmp, "b.json", "[",
                "  {\"instruction\": \"a\", \"output\": \"b\"}",
                "  {\"instruction\": \"c\", \"output\": \"d\"}",
                "]");
        ps = TestFiles.problems(Datasets.alpaca(g));
        assertEquals(1, ps.size(), ps.toString());
        assertTrue(ps.get(0).format().startsWith(g + ":3: column 3, JSON syntax error after record 1: Unexpected"
                + " character ('{'"), ps.get(0).format());
        assertEquals(1, TestFiles.report(Datasets.alpaca(g)).records());
    }

    @Test
    void blankLinesOfJsonLinesAreSkippedNotTheEnd() {
        // JSON Lines other than SiliconFlow's may have blank lines (HuggingFace's loader skips them); what follows
        // one is read
        Path f = TestFiles.write(tmp, "a.jsonl", "{\"instruction\": \"a\", \"output\": \"b\"}", "", "  ",
                "{\"instruction\": \"c\", \"output\": \"d\"}", "", "{\"instruction\": \"e\"}");
        List<Example> ex = TestFiles.examples(Datasets.alpaca(f).strict());
        assertEquals(3, ex.size());
        assertEquals("e", ((Conversation) ex.get(2)).messages().get(0).content());
        ValidationReport r = TestFiles.report(Datasets.alpaca(f));
        assertEquals(3, r.records());
        assertTrue(r.ok());
        Path t = TestFiles.write(tmp, "t.jsonl", "{\"text\": \"one\"}", "", "{\"text\": \"two\"}");
        assertEquals(List.of(new TextDocument("one"), new TextDocument("two")), TestFiles.examples(Datasets.text(t)));
    }

    @Test
    void aFileWithoutRecordsIsAProblem() {
        for (Path f : List.of(TestFiles.write(tmp, "empty.jsonl", ""), TestFiles.write(tmp, "blank.jsonl", "", "  ", ""),
                TestFiles.write(tmp, "empty.json", "[ ]"))) {
            List<DatasetProblem> ps = TestFiles.problems(Datasets.alpaca(f));
            assertEquals(List.of(f + ": the file holds no records [no-records]"),
                    ps.stream().map(DatasetProblem::format).toList(), f.toString());
            ValidationReport r = TestFiles.report(Datasets.alpaca(f));
            assertEquals(0, r.records());
            assertTrue(!r.ok(), f.toString());
            assertEquals(0, TestFiles.examples(Datasets.alpaca(f)).size(), "lenient: logged, nothing to read");
            assertThrows(InvalidDatasetException.class, () -> TestFiles.examples(Datasets.alpaca(f).strict()));
        }
        Path txt = TestFiles.write(tmp, "empty.txt", "", "");
        assertEquals(List.of("no-records"), TestFiles.problems(Datasets.text(txt)).stream().map(DatasetProblem::rule)
                .toList());
        Path sf = TestFiles.write(tmp, "empty-sf.jsonl", "");
        // a SiliconFlow file: the empty line is a record that breaks rule 1; the file has no other records
        assertEquals(List.of("siliconflow-1-jsonl"), TestFiles.problems(Datasets.siliconFlow(sf)).stream()
                .map(DatasetProblem::rule).toList());
    }

    @Test
    void byteOrderMarksAreSkipped() throws Exception {
        Path a = tmp.resolve("bom.json");
        java.nio.file.Files.writeString(a, "\uFEFF[{\"instruction\": \"q\", \"output\": \"a\"}]");
        Path b = tmp.resolve("bom.jsonl");
        java.nio.file.Files.writeString(b, "\uFEFF{\"instruction\": \"q\", \"output\": \"a\"}\n");
        Conversation c = Conversation.of(List.of(Message.user("q"), Message.assistant("a")));
        assertEquals(List.of(c), TestFiles.examples(Datasets.alpaca(a).strict()));
        assertEquals(List.of(c), TestFiles.examples(Datasets.alpaca(b).strict()));
        assertEquals(DatasetFormat.ALPACA, Datasets.detect(b));
    }

    @Test
    void detectsFormats() {
        assertEquals(DatasetFormat.ALPACA, Datasets.detect(TestFiles.write(tmp, "a.json", "[{\"instruction\": \"q\"}]")));
        assertEquals(DatasetFormat.SHAREGPT, Datasets.detect(TestFiles.write(tmp, "b.json",
                "[{\"conversations\": []}]")));
        assertEquals(DatasetFormat.SILICONFLOW, Datasets.detect(TestFiles.write(tmp, "c.jsonl",
                SiliconFlowRulesTest.GOOD)));
        assertEquals(DatasetFormat.TEXT, Datasets.detect(TestFiles.write(tmp, "d.jsonl", "{\"text\": \"x\"}")));
        assertEquals(DatasetFormat.TEXT, Datasets.detect(TestFiles.write(tmp, "e.txt", "x")));
    }

    @Test
    void maxSamplesStopsReadingEarly() {
        Path f = TestFiles.write(tmp, "cs.jsonl", SiliconFlowRulesTest.GOOD, SiliconFlowRulesTest.GOOD, "not json");
        assertEquals(2, TestFiles.examples(Datasets.siliconFlow(f).strict().maxSamples(2)).size());
    }
}
