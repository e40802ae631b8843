package dev.finetune4j.template;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Message;
import dev.finetune4j.data.Role;
import dev.finetune4j.tokenizer.TestTokenizers;
import dev.finetune4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Token-for-token parity with the official chat templates: golden ids made by HuggingFace's Jinja and
 * transformers.js' tokenizer (src/test/resources/golden/make_golden.py) for customer-service.jsonl and records of
 * LLaMA-Factory's demo sets (system prompts, single and multi-turn, tool calls, dpo answers).
 */
class GoldenChatTemplateTest {
    static final int[] LLAMA3_TRAILING_HEADER = {128006, 78191, 128007, 271};

    static JsonNode golden() throws IOException {
        try (InputStream in = GoldenChatTemplateTest.class.getResourceAsStream("/golden/chat_golden.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static Conversation conversation(JsonNode c) {
        List<Message> ms = new ArrayList<>();
        for (JsonNode m : c.get("messages")) {
            Role role = switch (m.get("role").asText()) {
                case "user" -> Role.USER;
                case "assistant" -> Role.ASSISTANT;
                case "observation" -> Role.OBSERVATION;
                case "function_call" -> Role.FUNCTION_CALL;
                default -> throw new IllegalArgumentException(m.toString());
            };
            ms.add(new Message(role, m.get("content").asText()));
        }
        return new Conversation(c.get("system").asText(), c.get("tools").asText(), ms);
    }

    static int[] ids(JsonNode n) {
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asInt();
        }
        return out;
    }

    static int[] flatten(List<EncodedTurn> turns) {
        int n = 0;
        for (EncodedTurn t : turns) {
            n += t.promptLength() + t.answerLength();
        }
        int[] out = new int[n];
        int p = 0;
        for (EncodedTurn t : turns) {
            System.arraycopy(t.prompt(), 0, out, p, t.promptLength());
            p += t.promptLength();
            System.arraycopy(t.answer(), 0, out, p, t.answerLength());
            p += t.answerLength();
        }
        return out;
    }

    /** The llama3 fixture template always appends an assistant header (FORMATS.md §C.6): compare without it. */
    static int[] expected(JsonNode c) {
        int[] ids = ids(c.get("ids"));
        if (c.get("tokenizer").asText().equals("llama3")) {
            int n = ids.length - LLAMA3_TRAILING_HEADER.length;
            assertArrayEquals(LLAMA3_TRAILING_HEADER, Arrays.copyOfRange(ids, n, ids.length));
            return Arrays.copyOf(ids, n);
        }
        return ids;
    }

    static TemplateOptions options(JsonNode c) {
        JsonNode kw = c.get("kwargs");
        return kw.has("enable_thinking") ? TemplateOptions.DEFAULTS.withEnableThinking(kw.get("enable_thinking")
                .asBoolean()) : TemplateOptions.DEFAULTS;
    }

    static String label(JsonNode c) {
        return c.get("id").asText() + " (" + c.get("tokenizer").asText() + ")";
    }

    @TestFactory
    Stream<DynamicTest> jinjaTemplateRendersAndEncodesLikeHuggingFace() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : golden()) {
            tests.add(DynamicTest.dynamicTest(label(c), () -> {
                Tokenizer tok = TestTokenizers.get(c.get("tokenizer").asText());
                JinjaChatTemplate t = JinjaChatTemplate.fromTokenizer().withOptions(options(c));
                Conversation conv = conversation(c.get("conversation"));
                assertEquals(c.get("text").asText(), t.render(tok, conv, false), "rendered text");
                assertArrayEquals(expected(c), flatten(t.encodeTurns(tok, conv)), "ids");
            }));
        }
        return tests.stream();
    }

    @org.junit.jupiter.api.Test
    void generationPromptsMatchTheOfficialTemplates() {
        Conversation c = Conversation.of("S", List.of(Message.user("Hi"), Message.assistant("Hello!"),
                Message.user("How are you?")));
        for (String name : List.of("qwen3", "llama3")) {
            Tokenizer tok = TestTokenizers.get(name);
            for (Boolean thinking : new Boolean[] {true, false}) {
                TemplateOptions o = TemplateOptions.DEFAULTS.withEnableThinking(thinking);
                int[] official = JinjaChatTemplate.fromTokenizer().withOptions(o).encodeGenerationPrompt(tok, c);
                int[] lf = BuiltinTemplates.get(name).orElseThrow().withOptions(o).encodeGenerationPrompt(tok, c);
                assertArrayEquals(official, lf, name + " thinking=" + thinking);
            }
            String text = tok.decode(JinjaChatTemplate.fromTokenizer().encodeGenerationPrompt(tok, c), false);
            assertTrue(text.endsWith(name.equals("qwen3") ? "<|im_start|>assistant\n"
                    : "<|start_header_id|>assistant<|end_header_id|>\n\n"), text);
        }
    }

    @TestFactory
    Stream<DynamicTest> llamaFactoryTemplatesMatchTheOfficialOnes() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : golden()) {
            String tokName = c.get("tokenizer").asText();
            String kind = c.get("kind").asText();
            Conversation conv = conversation(c.get("conversation"));
            if (tokName.equals("llama3") && kind.equals("tools")) {
                continue; // that early Llama 3 template has no tool support; covered by the jinja test
            }
            tests.add(DynamicTest.dynamicTest(label(c), () -> {
                Tokenizer tok = TestTokenizers.get(tokName);
                SlotTemplate t = BuiltinTemplates.get(tokName).orElseThrow().withOptions(options(c));
                // official Qwen3 drops the empty think block of history answers: LF matches with mask_history
                boolean multiTurn = conv.messages().size() > 2;
                int[] actual = flatten(t.encodeTurns(tok, conv, multiTurn));
                int[] expected = expected(c);
                boolean deviation = tokName.equals("qwen3") && kind.equals("tools") && !conv.hasSystem();
                if (deviation) {
                    // documented LF deviation: tools without a system prompt give "system\n\n\n# Tools"
                    String text = c.get("text").asText().replace("<|im_start|>system\n# Tools",
                            "<|im_start|>system\n\n\n# Tools");
                    expected = tok.encode(text);
                }
                assertArrayEquals(expected, actual);
                if (!deviation) { // the jinja labels split prompt and answer exactly where LF's template does
                    List<EncodedTurn> lf = t.encodeTurns(tok, conv, multiTurn);
                    List<EncodedTurn> jinja = JinjaChatTemplate.fromTokenizer().withOptions(options(c))
                            .encodeTurns(tok, conv);
                    assertEquals(lf.size(), jinja.size());
                    for (int i = 0; i < lf.size(); i++) {
                        assertArrayEquals(lf.get(i).prompt(), jinja.get(i).prompt(), "prompt of turn " + i);
                        assertArrayEquals(lf.get(i).answer(), jinja.get(i).answer(), "answer of turn " + i);
                    }
                }
            }));
        }
        assertTrue(tests.size() > 60);
        return tests.stream();
    }
}
