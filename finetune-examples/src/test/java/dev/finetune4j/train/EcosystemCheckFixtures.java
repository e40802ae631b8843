package dev.finetune4j.train;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.FineTuner;
import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.adapters.lora.LoraAdapter;
import dev.finetune4j.adapters.lora.LoraConfig;
import dev.finetune4j.adapters.lora.LoraInit;
import dev.finetune4j.chat.ChatModel;
import dev.finetune4j.checkpoint.SafeDType;
import dev.finetune4j.checkpoint.SafetensorsWriter;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.data.Batch;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Message;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.RopeScaling;
import dev.finetune4j.model.tiny.TinyModelWriter;
import dev.finetune4j.template.ChatTemplates;
import dev.finetune4j.tokenizer.Tokenizer;
import dev.finetune4j.tokenizer.Tokenizers;
import dev.finetune4j.testing.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes what {@code tools/hf-check/check_hf.py} compares against the real HuggingFace stack (transformers, PEFT,
 * tokenizers' apply_chat_template): tiny models of every supported family with our logits, a LoRA adapter with our
 * logits and our merged export, an adapter trained on the customer-service data with our greedy answer, and chat
 * template token ids. Runs only with {@code -Dfinetune4j.ecosystemDir=DIR}; see tools/hf-check/README.md.
 */
class EcosystemCheckFixtures {
    static final int[] ROW = {3, 17, 42, 99, 150, 7, 255, 301, 12, 77, 400, 5, 88, 123, 231, 64};

    @Test
    void write() throws Exception {
        String target = System.getProperty("finetune4j.ecosystemDir");
        assumeTrue(target != null, "writes the HF check fixtures only with -Dfinetune4j.ecosystemDir=DIR");
        Path dir = Path.of(target);
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest = json.createObjectNode();
        manifest.set("row", json.valueToTree(ROW));

        // 1. every family: our logits on one row
        ArrayNode models = manifest.putArray("models");
        family(dir, models, "llama", ModelConfig.builder("llama").hidden(64).layers(2).heads(4).kvHeads(2)
                .intermediate(128).vocab(512).ropeScaling(RopeScaling.llama3(8, 1, 4, 32)).build(), SafeDType.F32);
        family(dir, models, "qwen2", ModelConfig.builder("qwen2").hidden(64).layers(2).heads(4).kvHeads(2)
                .intermediate(128).vocab(512).build(), SafeDType.BF16);
        family(dir, models, "qwen3", ModelConfig.builder("qwen3").hidden(64).layers(2).heads(4).kvHeads(2).headDim(32)
                .intermediate(128).vocab(512).build(), SafeDType.F32);
        family(dir, models, "mistral", ModelConfig.builder("mistral").hidden(64).layers(2).heads(4).kvHeads(1)
                .intermediate(128).vocab(512).ropeTheta(10000).build(), SafeDType.F16);

        // 2. a LoRA adapter with nonzero B on qwen2 (all seven projections): our logits, and our merged export
        Path base = dir.resolve("models/qwen2");
        try (CausalLM m = CausalLM.load(base, ModelOptions.defaults())) {
            LoraAdapter lora = LoraAdapter.create(LoraConfig.of(8, 16, 0, "all").withInit(LoraInit.RANDOM), 3);
            lora.apply(m);
            lora.save(dir.resolve("lora"), "models/qwen2");
            logits(m, dir.resolve("lora_logits.safetensors"));
        }
        Adapters.exportMerged(base, dir.resolve("lora"), dir.resolve("merged"));
        try (CausalLM merged = CausalLM.load(dir.resolve("merged"), ModelOptions.defaults())) {
            logits(merged, dir.resolve("merged_logits.safetensors"));
        }

        // 3. a LoRA SFT on the customer-service data, and our greedy answer to a trained question
        Path cs = dir.resolve("cs-model");
        TinyCustomerService.writeModel(cs);
        FineTuner.builder().model(cs).dataset(Datasets.siliconFlow(TinyCustomerService.data())).template("qwen")
                .lora(16, 32, 0).learningRate(5e-3).epochs(30).batchSize(4).scheduler(SchedulerType.CONSTANT)
                .cutoffLen(256).outputDir(dir.resolve("cs-adapter")).overwriteOutputDir(true).train();
        ObjectNode chat = manifest.putObject("chat");
        try (ChatModel c = ChatModel.load(cs, dir.resolve("cs-adapter"), "qwen")) {
            Conversation q = Conversation.of("你是客服助手", List.of(Message.user("退款多久能到账?")));
            int[] prompt = c.template().encodeGenerationPrompt(c.tokenizer(), q);
            chat.set("prompt_ids", json.valueToTree(prompt));
            chat.put("answer", c.reply(q, c.greedy(80), null));
        }

        // 4. chat template ids from the real Qwen3 and Llama 3 tokenizers: ours (jinja and the named template)
        ArrayNode templates = manifest.putArray("templates");
        List<List<Message>> conversations = List.of(
                List.of(Message.user("Hello!"), Message.assistant("Hi, how can I help?")),
                List.of(Message.user("如何修改收货地址?"), Message.assistant("进入订单详情, 点击'修改地址'."),
                        Message.user("Thanks"), Message.assistant("You're welcome.")));
        for (String family : List.of("qwen3", "llama3")) {
            Path tok = SharedFixtures.require("fixtures/tokenizers/" + family);
            try (Tokenizer t = Tokenizers.load(tok)) {
                for (List<Message> msgs : conversations) {
                    for (String system : List.of("", "You are a support agent.")) {
                        Conversation conv = Conversation.of(system, msgs);
                        ObjectNode o = templates.addObject();
                        o.put("tokenizer", family);
                        o.put("system", system);
                        o.set("messages", json.valueToTree(msgs.stream().map(x -> List.of(
                                x.role() == dev.finetune4j.data.Role.USER ? "user" : "assistant", x.content())).toList()));
                        o.set("jinja_ids", json.valueToTree(ids(ChatTemplates.get("jinja"), t, conv)));
                    }
                }
            }
        }
        // 5. our tiny tokenizer: ids of a mixed text
        try (Tokenizer t = Tokenizers.load(cs)) {
            String text = "您可以按以下步骤修改: 1. 进入订单详情 <|im_end|> hello world";
            manifest.put("tiny_text", text);
            manifest.set("tiny_ids", json.valueToTree(t.encode(text)));
        }
        Files.writeString(dir.resolve("manifest.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(manifest));
    }

    private static int[] ids(dev.finetune4j.template.ChatTemplate template, Tokenizer t, Conversation c) {
        return template.encodeTurns(t, c).stream()
                .flatMapToInt(turn -> IntStream.concat(IntStream.of(turn.prompt()), IntStream.of(turn.answer())))
                .toArray();
    }

    private static void family(Path dir, ArrayNode models, String name, ModelConfig arch, SafeDType dtype)
            throws IOException {
        Path m = dir.resolve("models").resolve(name);
        TinyModelWriter.of(arch).seed(21).std(0.2).dtype(dtype).write(m);
        try (CausalLM model = CausalLM.load(m, ModelOptions.defaults())) {
            logits(model, dir.resolve("models").resolve(name + "_logits.safetensors"));
        }
        models.add(name);
    }

    private static void logits(CausalLM model, Path file) throws IOException {
        int n = ROW.length;
        Batch b = new Batch(Nd4j.createFromArray(new int[][] {ROW}), Nd4j.createFromArray(new int[][] {ROW}),
                Nd4j.ones(DataType.INT32, 1, n), Nd4j.createFromArray(new int[][] {IntStream.range(0, n).toArray()}));
        INDArray logits = model.logits(b);
        new SafetensorsWriter().put("logits", logits, SafeDType.F32).write(file);
    }
}
