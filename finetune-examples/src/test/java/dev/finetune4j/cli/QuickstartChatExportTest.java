package dev.finetune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.chat.ChatModel;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Message;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quickstart as the README runs it (one training for the class), then what it suggests next: chat with the
 * adapter, export the merged model, perplexity with and without the adapter.
 */
class QuickstartChatExportTest {
    static final String QUESTION_1 = "如何修改收货地址?";
    static final String ANSWER_1 = "您可以按以下步骤修改:\n1. 进入订单详情\n2. 点击'修改地址'\n3. 输入新地址信息\n4. 保存修改";
    static final String QUESTION_2 = "如何指定收获时间";
    static final String ANSWER_2 = "您可以按以下步骤修改:\n1. 进入订单详情\n2. 点击'修改送货时间'\n3. 输入新收获时间\n4. 保存修改";

    @TempDir
    static Path dir;
    static Path out;
    static CliTestSupport.Result quickstart;

    @BeforeAll
    static void runTheQuickstart() {
        out = dir.resolve("qs");
        quickstart = CliTestSupport.run("quickstart", "--out", out.toString());
    }

    @Test
    void quickstartTrainsAndAnswersTheTrainedQuestion() throws Exception {
        assertEquals(0, quickstart.exitCode(), quickstart.err());
        String text = quickstart.out();
        List<String> lines = text.lines().toList();
        assertEquals("[1/4] data: " + out.resolve("customer-service.jsonl") + " (12 conversations, SiliconFlow JSONL)",
                lines.get(1));
        assertTrue(lines.get(2).startsWith("[2/4] model: " + out.resolve("model") + " (qwen2, 2 layers, hidden 128,"
                + " vocab 768;"), lines.get(2));
        assertTrue(text.contains("training 90 steps (30 epochs) on 12 examples"), text);
        assertTrue(text.contains("\nstep 90/90 (100%)  loss "), text);
        assertTrue(text.contains("\ndone: 90 steps in "), text);
        assertTrue(text.contains("user> " + QUESTION_1 + "\nassistant> " + ANSWER_1 + "\ntrained answer:\n" + ANSWER_1
                + "\n=> the tuned model gives the trained answer, word for word.\n"), text);
        assertTrue(text.contains("./finetune chat --model " + out.resolve("model") + " --adapter "
                + out.resolve("adapter") + " --template qwen"), text);
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors", "training_loss.png",
                "trainer_log.jsonl", "train_results.json")) {
            assertTrue(Files.isRegularFile(out.resolve("adapter").resolve(f)), f);
        }
        // the bundled data is the committed examples file
        assertEquals(Files.readString(Path.of("../examples/customer-service.jsonl")),
                Files.readString(out.resolve("customer-service.jsonl")));
    }

    @Test
    void chatStreamsAnswersKeepsHistoryAndClears() {
        String input = QUESTION_1 + "\n\n" + QUESTION_2 + "\n/clear\n" + QUESTION_2 + "\n/exit\nnot read\n";
        CliTestSupport.Result r = CliTestSupport.runWithInput(input, "chat", "--model", out.resolve("model").toString(),
                "--adapter", out.resolve("adapter").toString(), "--template", "qwen", "--system", "你是客服助手");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("chat with " + out.resolve("model") + " + adapter " + out.resolve("adapter")
                + " (greedy, at most 512 new tokens); /clear starts over, /exit quits", lines.get(0));
        String session = r.out().substring(r.out().indexOf('\n') + 1);
        // first answer: the trained one; the second question is asked with the first exchange in the history, so
        // its answer may differ from the one asked alone after /clear, which is the trained one
        assertTrue(session.startsWith("user> " + QUESTION_1 + "\nassistant> " + ANSWER_1 + "\nuser> \nuser> "
                + QUESTION_2 + "\nassistant> "), session);
        assertTrue(session.endsWith("user> /clear\n(conversation cleared)\nuser> " + QUESTION_2 + "\nassistant> "
                + ANSWER_2 + "\nuser> /exit\n"), session);
    }

    @Test
    void chatWithoutAnAdapterAnswersDifferently() {
        CliTestSupport.Result r = CliTestSupport.runWithInput(QUESTION_1 + "\n", "chat", "--model",
                out.resolve("model").toString(), "--template", "qwen", "--system", "你是客服助手",
                "--max-new-tokens", "8");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("user> " + QUESTION_1 + "\nassistant> "), r.out());
        assertTrue(!r.out().contains(ANSWER_1), "the random base model does not know the answer");
        assertTrue(r.out().endsWith("user> \n"), "end of input ends the chat");
    }

    @Test
    void chatSamplingFlags() {
        CliTestSupport.Result r = CliTestSupport.runWithInput("", "chat", "--model", out.resolve("model").toString(),
                "--temperature", "0.7", "--top-p", "0.9", "--top-k", "20", "--repetition-penalty", "1.1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("chat with " + out.resolve("model") + " (sampling: temperature 0.7, top_p 0.9,"
                + " top_k 20, repetition_penalty 1.1, at most 512 new tokens)"), r.out());
        r = CliTestSupport.runWithInput("", "chat", "--model", out.resolve("model").toString(), "--top-p", "1.5");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("top_p must be in (0, 1], got 1.5"), r.err());
        r = CliTestSupport.runWithInput("", "chat", "--model", dir.resolve("missing").toString());
        assertEquals(1, r.exitCode());
        assertEquals("finetune: model folder " + dir.resolve("missing") + " has no config.json: point --model at a"
                + " HuggingFace checkpoint folder\n", r.err());
    }

    @Test
    void exportMergesAndTheMergedModelGivesTheTrainedAnswer() throws Exception {
        Path merged = dir.resolve("merged");
        CliTestSupport.Result r = CliTestSupport.run("export", "--model", out.resolve("model").toString(), "--adapter",
                out.resolve("adapter").toString(), "--out", merged.toString());
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("merged LORA adapter " + out.resolve("adapter") + " into "
                + out.resolve("model") + " in "), lines.get(0));
        assertTrue(lines.get(1).startsWith("wrote " + merged + ": config.json ("), lines.get(1));
        assertTrue(lines.get(1).contains("model.safetensors ("), lines.get(1));
        try (ChatModel chat = ChatModel.load(merged, null, "qwen")) {
            assertEquals(ANSWER_1, chat.reply(Conversation.of("你是客服助手", List.of(Message.user(QUESTION_1))),
                    chat.greedy(120), null));
        }
        // a second export into the same folder refuses to overwrite weights
        r = CliTestSupport.run("export", "--model", out.resolve("model").toString(), "--adapter",
                out.resolve("adapter").toString(), "--out", merged.toString());
        assertEquals(1, r.exitCode());
        assertEquals("finetune: the export folder " + merged + " already holds weights (model.safetensors); choose an"
                + " empty folder or remove them\n", r.err());
        r = CliTestSupport.run("export", "--model", out.resolve("model").toString(), "--adapter",
                out.resolve("model").toString(), "--out", dir.resolve("m2").toString());
        assertEquals(1, r.exitCode());
        assertEquals("finetune: " + out.resolve("model") + " is not an adapter folder: it has no adapter_config.json\n",
                r.err());
    }

    @Test
    void pplWithTheAdapterIsFarLower() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String data = out.resolve("customer-service.jsonl").toString();
        CliTestSupport.Result base = CliTestSupport.run("ppl", "--model", out.resolve("model").toString(),
                "--dataset", data, "--template", "qwen", "--device", "cpu");
        CliTestSupport.Result tuned = CliTestSupport.run("ppl", "--model", out.resolve("model").toString(),
                "--adapter", out.resolve("adapter").toString(), "--dataset", data, "--template", "qwen", "--device",
                "cpu");
        assertEquals(0, base.exitCode(), base.err());
        assertEquals(0, tuned.exitCode(), tuned.err());
        JsonNode b = json.readTree(base.out());
        JsonNode t = json.readTree(tuned.out());
        assertEquals(b.get("tokens").asLong(), t.get("tokens").asLong());
        assertTrue(b.get("mean_nll").asDouble() > 5, base.out());
        assertTrue(t.get("mean_nll").asDouble() < 0.1, "trained to a loss near 0.004: " + tuned.out());
    }

    @Test
    void tinyModelWritesAModelFolder() throws Exception {
        Path m = dir.resolve("tiny");
        CliTestSupport.Result r = CliTestSupport.run("tiny-model", "--out", m.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("wrote " + m + ": qwen2 model, 2 layers, hidden 128, vocab 768 (random weights)\n"),
                r.out());
        // the same files, byte for byte, as the quickstart's model: train YAMLs can use either
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            assertEquals(-1L, Files.mismatch(m.resolve(f), out.resolve("model").resolve(f)), f);
        }
    }
}
