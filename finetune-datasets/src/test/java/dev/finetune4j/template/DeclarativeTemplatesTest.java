package dev.finetune4j.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Message;
import dev.finetune4j.tokenizer.CharTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Custom templates: declared in YAML/JSON (found by file path) or implemented in Java and registered. */
class DeclarativeTemplatesTest {
    static final CharTokenizer TOK = CharTokenizer.of("<s>", "</s>", "<|user|>", "<|assistant|>", "<|end|>",
            "<|im_start|>", "<|im_end|>");
    static final Conversation C = Conversation.of("S", List.of(Message.user("Hi"), Message.assistant("Yo")));

    @Test
    void yamlTemplateByPath(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("mine.yaml");
        Files.writeString(f, """
                name: mine
                prefix: [{bos_token: true}]
                system: "[{{content}}]"
                user: "<|user|>{{content}}<|end|><|assistant|>"
                assistant: ["{{content}}", {token: "<|end|>"}, {eos_token: true}]
                stop_words: ["<|end|>"]
                """);
        ChatTemplate t = ChatTemplates.get(f.toString());
        assertEquals("mine", t.name());
        assertEquals("<s>[S]<|user|>Hi<|end|><|assistant|>‖Yo<|end|></s>", SlotTemplateTest.render(t, TOK, C));
    }

    @Test
    void jsonTemplateExtendingABuiltin(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("qwen-custom.json");
        Files.writeString(f, "{\"extends\": \"qwen\", \"default_system\": \"Be brief.\"}");
        ChatTemplate t = DeclarativeTemplates.load(f);
        assertEquals("qwen-custom", t.name());
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n‖"
                + "Yo<|im_end|>\n", SlotTemplateTest.render(t, TOK, Conversation.of(C.messages())));
    }

    @Test
    void badDeclarationsSayWhatIsWrong(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "user: \"no placeholder\"\n");
        FineTuneException e = assertThrows(FineTuneException.class, () -> DeclarativeTemplates.load(f));
        assertTrue(e.getMessage().startsWith(f + ": template bad: every formatter"), e.getMessage());
        Files.writeString(f, "usr: \"{{content}}\"\n");
        e = assertThrows(FineTuneException.class, () -> DeclarativeTemplates.load(f));
        assertTrue(e.getMessage().contains("unknown key 'usr'"), e.getMessage());
        Files.writeString(f, "user: [1, {what: 2}]\n");
        e = assertThrows(FineTuneException.class, () -> DeclarativeTemplates.load(f));
        assertTrue(e.getMessage().contains("a slot of user must be"), e.getMessage());
    }

    @Test
    void javaTemplateRegisteredByName() {
        ChatTemplate own = SlotTemplate.builder("registered-test")
                .user(Formatter.of("Q: {{content}}\nA: "))
                .assistant(Formatter.of("{{content}}", Slot.EOS))
                .build();
        ChatTemplates.register(own);
        assertEquals("Q: Hi\nA: ‖Yo</s>", SlotTemplateTest.render(ChatTemplates.get("registered-test"), TOK,
                Conversation.of(C.messages())));
        assertTrue(ChatTemplates.names().containsAll(List.of("qwen3", "llama3", "jinja", "registered-test")));
    }
}
