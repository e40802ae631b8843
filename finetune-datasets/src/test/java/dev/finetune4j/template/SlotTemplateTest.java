package dev.finetune4j.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Message;
import dev.finetune4j.tokenizer.CharTokenizer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every built-in template renders FORMATS.md §C.4's examples, with the prompt|answer boundary where LF puts it. */
class SlotTemplateTest {
    static final String[] SPECIALS = {"<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|end_of_text|>",
        "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<s>", "</s>", "<bos>", "<eos>",
        "<start_of_turn>", "<end_of_turn>", "<|end|>", "<|user|>", "<|assistant|>", "<|system|>", "[gMASK]", "<sop>",
        "<|observation|>", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>",
        "<|endoftext|>"};

    static CharTokenizer tok(String bos, String eos) {
        return CharTokenizer.of(bos, eos, SPECIALS);
    }

    static final Conversation HI = Conversation.of("S", List.of(Message.user("Hi"), Message.assistant("Hello!")));
    static final Conversation HI_NO_SYSTEM = Conversation.of(List.of(Message.user("Hi"), Message.assistant("Hello!")));

    static String render(ChatTemplate t, CharTokenizer tok, Conversation c) {
        StringBuilder sb = new StringBuilder();
        for (EncodedTurn turn : t.encodeTurns(tok, c)) {
            sb.append(tok.decode(turn.prompt(), false)).append('‖').append(tok.decode(turn.answer(), false));
        }
        return sb.toString();
    }

    static void check(String name, String bos, String eos, Conversation c, String expected) {
        assertEquals(expected, render(ChatTemplates.get(name), tok(bos, eos), c), name);
    }

    @Test
    void rendersTheDocumentedExamples() {
        check("qwen", null, "<|endoftext|>", HI_NO_SYSTEM, "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. "
                + "You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n‖"
                + "Hello!<|im_end|>\n");
        check("qwen3", null, "<|im_end|>", HI, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n‖<think>\n\n</think>\n\nHello!<|im_end|>\n");
        check("qwen3_nothink", null, "<|im_end|>", HI, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi"
                + "<|im_end|>\n<|im_start|>assistant\n‖Hello!<|im_end|>\n");
        check("chatml", null, "<|im_end|>", HI, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi"
                + "<|im_end|>\n<|im_start|>assistant\n‖Hello!<|im_end|>\n");
        check("llama3", "<|begin_of_text|>", "<|end_of_text|>", HI, "<|begin_of_text|><|start_header_id|>system"
                + "<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n‖Hello!<|eot_id|>");
        check("llama2", "<s>", "</s>", HI, "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nHi [/INST]‖Hello!</s>");
        check("mistral", "<s>", "</s>", HI, "<s>[INST] S\n\nHi[/INST]‖ Hello!</s>");
        check("gemma", "<bos>", "<eos>", HI, "<bos><start_of_turn>user\nS\n\nHi<end_of_turn>\n<start_of_turn>model\n‖"
                + "Hello!<end_of_turn>\n");
        check("gemma2", "<bos>", "<eos>", HI, "<bos><start_of_turn>user\nS\n\nHi<end_of_turn>\n<start_of_turn>model\n‖"
                + "Hello!<end_of_turn>\n");
        check("glm4", null, "<|endoftext|>", HI, "[gMASK]<sop><|system|>\nS<|user|>\nHi<|assistant|>‖\nHello!");
        check("deepseek3", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", HI,
                "<｜begin▁of▁sentence｜>S<｜User｜>Hi<｜Assistant｜>‖Hello!<｜end▁of▁sentence｜>");
        check("phi", null, "<|endoftext|>", HI, "<|system|>\nS<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n‖"
                + "Hello!<|end|>\n");
        check("alpaca", null, "</s>", HI, "S### Instruction:\nHi\n\n### Response:\n‖Hello!</s>\n\n");
        check("alpaca", null, "</s>", HI_NO_SYSTEM, "Below is an instruction that describes a task. Write a response "
                + "that appropriately completes the request.\n\n### Instruction:\nHi\n\n### Response:\n‖Hello!</s>\n\n");
        check("default", null, "</s>", HI, "System: S</s>\nHuman: Hi</s>\nAssistant:‖Hello!</s>\n");
        check("vicuna", null, "</s>", HI, "SUSER: Hi ASSISTANT:‖Hello!</s>");
        check("empty", null, "</s>", HI, "SHi‖Hello!");
    }

    @Test
    void qwen3WithoutThinkingPutsTheEmptyThinkBlockInThePrompt() {
        ChatTemplate t = ChatTemplates.get("qwen3").withOptions(TemplateOptions.DEFAULTS.withEnableThinking(false));
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
                + "<think>\n\n</think>\n\n‖Hello!<|im_end|>\n", render(t, tok(null, "<|im_end|>"), HI));
        // chain of thought in the answer is removed when thinking is off, kept (and trained) when on
        Conversation cot = Conversation.of(List.of(Message.user("Hi"),
                Message.assistant("<think>\nhmm\n</think>\n\nHello!")));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n‖Hello!<|im_end|>\n",
                render(t, tok(null, "<|im_end|>"), cot));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n‖<think>\nhmm\n</think>\n\nHello!"
                + "<|im_end|>\n", render(ChatTemplates.get("qwen3"), tok(null, "<|im_end|>"), cot));
    }

    @Test
    void multiTurnLlama2PutsBosAtEveryUserTurnAndSystemOnlyInTheFirst() {
        Conversation c = Conversation.of("S", List.of(Message.user("Q1"), Message.assistant("A1"),
                Message.user("Q2"), Message.assistant("A2")));
        assertEquals("<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nQ1 [/INST]‖A1</s><s>[INST] Q2 [/INST]‖A2</s>",
                render(ChatTemplates.get("llama2"), tok("<s>", "</s>"), c));
    }

    @Test
    void replaceEosAndStopWords() {
        CharTokenizer t = tok("<|begin_of_text|>", "<|end_of_text|>");
        ChatTemplate llama3 = ChatTemplates.get("llama3");
        assertEquals(t.tokenId("<|eot_id|>").getAsInt(), llama3.eosId(t).getAsInt());
        assertEquals(List.of(t.tokenId("<|eot_id|>").getAsInt(), t.tokenId("<|eom_id|>").getAsInt()), llama3.stopIds(t));
        ChatTemplate mistral = ChatTemplates.get("mistral");
        assertEquals(t.tokenId("<|end_of_text|>").getAsInt(), mistral.eosId(t).getAsInt());
        assertTrue(ChatTemplates.get("glm4").efficientEos());
        assertTrue(ChatTemplates.get("gemma2").efficientEos());
        assertFalse(ChatTemplates.get("qwen").efficientEos());
        FineTuneException e = assertThrows(FineTuneException.class,
                () -> ChatTemplates.get("phi").eosId(CharTokenizer.of(null, "</s>")));
        assertTrue(e.getMessage().contains("<|end|>"), e.getMessage());
    }

    static final String TOOLS = "[{\"name\": \"get_weather\", \"description\": \"Weather of a city\", \"parameters\": "
            + "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City\"}}, "
            + "\"required\": [\"city\"]}}]";
    static final Conversation TOOL_CALL = new Conversation("", TOOLS, List.of(Message.user("Weather in Paris?"),
            Message.functionCall("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}"),
            Message.observation("{\"temp\": 21}"), Message.assistant("21 degrees.")));

    @Test
    void qwenToolCallsAndDescriptions() {
        String text = render(ChatTemplates.get("qwen3_nothink"), tok(null, "<|im_end|>"), TOOL_CALL);
        assertEquals("<|im_start|>system\n\n\n# Tools\n\nYou may call one or more functions to assist with the user "
                + "query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather of a "
                + "city\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", "
                + "\"description\": \"City\"}}, \"required\": [\"city\"]}}}\n</tools>\n\nFor each function call, return a "
                + "json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
                + "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n‖<tool_call>\n{\"name\": "
                + "\"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n<|im_start|>user\n"
                + "<tool_response>\n{\"temp\": 21}\n</tool_response><|im_end|>\n<|im_start|>assistant\n‖21 degrees."
                + "<|im_end|>\n", text);
    }

    @Test
    void llama3ToolCallsAndDescriptionsWithAFixedDate() {
        SlotTemplate t = BuiltinTemplates.get("llama3").orElseThrow()
                .withClock(Clock.fixed(Instant.parse("2024-07-26T10:00:00Z"), ZoneOffset.UTC));
        String text = render(t, tok("<|begin_of_text|>", "<|end_of_text|>"), TOOL_CALL);
        assertTrue(text.startsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge "
                + "Date: December 2023\nToday Date: 26 Jul 2024\n\nYou have access to the following functions."), text);
        assertTrue(text.contains("{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\""),
                text);
        assertTrue(text.contains("<|start_header_id|>assistant<|end_header_id|>\n\n‖{\"name\": \"get_weather\", "
                + "\"parameters\": {\"city\": \"Paris\"}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n"
                + "{\"temp\": 21}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n‖21 degrees.<|eot_id|>"), text);
    }

    @Test
    void defaultToolFormatForTemplatesWithoutTheirOwn() {
        String text = render(ChatTemplates.get("chatml"), tok(null, "<|im_end|>"), TOOL_CALL);
        assertTrue(text.startsWith("<|im_start|>system\nYou have access to the following tools:\n> Tool Name: "
                + "get_weather\nTool Description: Weather of a city\nTool Args:\n  - city (string, required): City\n\n"
                + "Use the following format if using a tool:\n```\nAction: tool name (one of [get_weather])\n"), text);
        assertTrue(text.contains("‖Action: get_weather\nAction Input: {\"city\": \"Paris\"}<|im_end|>\n"
                + "<|im_start|>tool\n{\"temp\": 21}<|im_end|>\n"), text);
    }

    @Test
    void rejectsConversationsThatDoNotAlternate() {
        Conversation bad = Conversation.of(List.of(Message.user("a"), Message.user("b")));
        assertThrows(FineTuneException.class, () -> ChatTemplates.get("qwen").encodeTurns(tok(null, "</s>"), bad));
        assertThrows(FineTuneException.class, () -> ChatTemplates.get("no-such-template"));
    }
}
