package dev.finetune4j.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.DatasetProblem;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.Message;
import dev.finetune4j.datasets.siliconflow.SiliconFlowRule;
import dev.finetune4j.testing.SharedFixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every SiliconFlow rule (FORMATS.md §B): a good line, then a file whose line 3 breaks exactly that rule. */
class SiliconFlowRulesTest {
    static final String GOOD = "{\"messages\": [{\"role\": \"system\", \"content\": \"You are a support bot.\"}, "
            + "{\"role\": \"user\", \"content\": \"How do I change my address?\"}, "
            + "{\"role\": \"assistant\", \"content\": \"Open the order page.\"}]}";

    @TempDir
    Path tmp;

    @Test
    void everyLineOfCustomerServiceValidates() {
        Path cs = SharedFixtures.require("data/customer-service.jsonl");
        FileDataset d = Datasets.siliconFlow(cs);
        List<DatasetProblem> problems = TestFiles.problems(d);
        assertEquals(List.of(), problems);
        ValidationReport r = TestFiles.report(d);
        assertEquals(12, r.records());
        assertEquals(0, r.invalid());
        List<Example> ex = TestFiles.examples(d.strict());
        assertEquals(12, ex.size());
        Conversation c = assertInstanceOf(Conversation.class, ex.get(0));
        assertEquals("你是客服助手", c.system());
        assertEquals(List.of(Message.user("如何修改收货地址?"), Message.assistant(
                "您可以按以下步骤修改:\n1. 进入订单详情\n2. 点击'修改地址'\n3. 输入新地址信息\n4. 保存修改")), c.messages());
    }

    static Stream<Arguments> badLines() {
        return Stream.of(
                Arguments.of(SiliconFlowRule.JSONL, "{\"messages\": [", ""),
                Arguments.of(SiliconFlowRule.JSONL, "[1, 2]", ""),
                Arguments.of(SiliconFlowRule.JSONL, GOOD + " {}", ""),
                Arguments.of(SiliconFlowRule.JSONL, "", ""),
                Arguments.of(SiliconFlowRule.MESSAGES, "{\"conversations\": []}", "messages"),
                Arguments.of(SiliconFlowRule.MESSAGES, "{\"messages\": []}", "messages"),
                Arguments.of(SiliconFlowRule.MESSAGES, "{\"messages\": \"hi\"}", "messages"),
                Arguments.of(SiliconFlowRule.ROLE_CONTENT, "{\"messages\": [{\"role\": \"user\"}, "
                        + "{\"role\": \"assistant\", \"content\": \"a\"}]}", "messages[0]"),
                Arguments.of(SiliconFlowRule.ROLE_CONTENT, "{\"messages\": [{\"content\": \"q\"}, "
                        + "{\"role\": \"assistant\", \"content\": \"a\"}]}", "messages[0]"),
                Arguments.of(SiliconFlowRule.ROLE_CONTENT, "{\"messages\": [\"hello\"]}", "messages[0]"),
                Arguments.of(SiliconFlowRule.ROLES, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, "
                        + "{\"role\": \"tool\", \"content\": \"a\"}]}", "messages[1].role"),
                Arguments.of(SiliconFlowRule.ROLES, "{\"messages\": [{\"role\": \"human\", \"content\": \"q\"}, "
                        + "{\"role\": \"assistant\", \"content\": \"a\"}]}", "messages[0].role"),
                Arguments.of(SiliconFlowRule.SYSTEM_FIRST, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, "
                        + "{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}",
                        "messages[1].role"),
                Arguments.of(SiliconFlowRule.SYSTEM_FIRST, "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, "
                        + "{\"role\": \"system\", \"content\": \"t\"}, {\"role\": \"user\", \"content\": \"q\"}, "
                        + "{\"role\": \"assistant\", \"content\": \"a\"}]}", "messages[1].role"),
                Arguments.of(SiliconFlowRule.USER_FIRST, "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, "
                        + "{\"role\": \"assistant\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"q\"}]}",
                        "messages[1].role"),
                Arguments.of(SiliconFlowRule.PAIRS, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, "
                        + "{\"role\": \"user\", \"content\": \"q2\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}",
                        "messages[1].role"),
                Arguments.of(SiliconFlowRule.PAIRS, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, "
                        + "{\"role\": \"assistant\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"q2\"}]}",
                        "messages[2]"),
                Arguments.of(SiliconFlowRule.PAIRS, "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}]}",
                        "messages"),
                Arguments.of(SiliconFlowRule.CONTENT_STRING, "{\"messages\": [{\"role\": \"user\", \"content\": "
                        + "[{\"type\": \"text\", \"text\": \"q\"}]}, {\"role\": \"assistant\", \"content\": \"a\"}]}",
                        "messages[0].content"),
                Arguments.of(SiliconFlowRule.CONTENT_STRING, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, "
                        + "{\"role\": \"assistant\", \"content\": \" \"}]}", "messages[1].content"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("badLines")
    void eachRuleIsNamedWithItsLine(SiliconFlowRule rule, String badLine, String field) {
        Path f = TestFiles.write(tmp, "bad.jsonl", GOOD, GOOD, badLine, GOOD);
        FileDataset d = Datasets.siliconFlow(f);
        List<DatasetProblem> problems = TestFiles.problems(d);
        assertEquals(1, problems.size(), problems.toString());
        DatasetProblem p = problems.get(0);
        assertEquals(rule.id(), p.rule());
        assertEquals(3, p.line());
        assertEquals(3, p.record());
        assertEquals(field, p.field());
        String line = p.format();
        assertTrue(line.startsWith(f + ":3: "), line);
        assertTrue(line.endsWith("[" + rule.id() + "]"), line);
        ValidationReport r = TestFiles.report(d);
        assertEquals(4, r.records());
        assertEquals(1, r.invalid());
        // lenient (the default) drops it; strict stops with the same line
        assertEquals(3, TestFiles.examples(d).size());
        dev.finetune4j.data.InvalidDatasetException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.finetune4j.data.InvalidDatasetException.class, () -> TestFiles.examples(d.strict()));
        assertEquals(line, e.getMessage());
    }

    @Test
    void syntaxErrorsGiveLineAndCharacterColumn() {
        Path f = TestFiles.write(tmp, "bad.jsonl", GOOD, "{\"messages\": [{\"role\": \"用户\", \"content\": x}]}");
        DatasetProblem p = TestFiles.problems(Datasets.siliconFlow(f)).get(0);
        assertEquals(2, p.line());
        assertEquals(41, p.column()); // the x, counted in characters (the Chinese role is 2 characters, 6 bytes)
        assertTrue(p.format().startsWith(f + ":2: column 41, record 2: JSON syntax error: Unrecognized token 'x'"),
                p.format());
    }

    @Test
    void anUnrecognizedTokenAtTheEndOfALineIsLocatedAtItsFirstCharacter() {
        Path f = TestFiles.write(tmp, "bad.jsonl", GOOD, GOOD + " xy", GOOD + " xy ");
        List<DatasetProblem> ps = TestFiles.problems(Datasets.siliconFlow(f));
        assertEquals(2, ps.size(), ps.toString());
        assertEquals(GOOD.length() + 2, ps.get(0).column(), ps.get(0).format()); // the x, last token of the line
        assertEquals(GOOD.length() + 2, ps.get(1).column(), ps.get(1).format()); // the same, a space after it
    }

    @Test
    void wrongExtensionIsAFileProblem() {
        Path f = TestFiles.write(tmp, "data.json", GOOD);
        List<DatasetProblem> problems = TestFiles.problems(Datasets.siliconFlow(f));
        assertEquals(1, problems.size());
        assertEquals(SiliconFlowRule.JSONL.id(), problems.get(0).rule());
        assertEquals(0, problems.get(0).line());
        assertEquals(f + ": a SiliconFlow file must have the extension .jsonl [siliconflow-1-jsonl]",
                problems.get(0).format());
        ValidationReport r = TestFiles.report(Datasets.siliconFlow(f));
        assertEquals(1, r.records());
        assertEquals(0, r.invalid());
        assertEquals(false, r.ok());
    }

    @Test
    void aJsonArrayIsNotJsonLines() {
        Path f = TestFiles.write(tmp, "data.jsonl", "[", GOOD, "]");
        List<DatasetProblem> problems = TestFiles.problems(Datasets.siliconFlow(f));
        assertEquals(1, problems.size(), problems.toString());
        assertEquals(SiliconFlowRule.JSONL.id(), problems.get(0).rule());
        assertTrue(problems.get(0).message().contains("JSON array"));
    }

    @Test
    void strictListsUpToNProblems() {
        String bad = "{\"messages\": []}";
        Path f = TestFiles.write(tmp, "bad.jsonl", GOOD, bad, bad, bad, bad, GOOD);
        dev.finetune4j.data.InvalidDatasetException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.finetune4j.data.InvalidDatasetException.class,
                () -> TestFiles.examples(Datasets.siliconFlow(f).strict(3)));
        assertEquals(3, e.problems().size());
        assertEquals(List.of(2L, 3L, 4L), e.problems().stream().map(DatasetProblem::line).toList());
        assertTrue(e.getMessage().endsWith("(and 2 more problems; run finetune validate to see all)"), e.getMessage());
    }
}
