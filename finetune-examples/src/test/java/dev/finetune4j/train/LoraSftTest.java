package dev.finetune4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.FineTuneResult;
import dev.finetune4j.FineTuner;
import dev.finetune4j.chat.ChatModel;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.data.Conversation;
import dev.finetune4j.data.Message;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.train.report.TrainerLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 5: a LoRA SFT of a tiny model on the customer-service examples learns them. */
class LoraSftTest {

    @Test
    void learnsTheCustomerServiceAnswers(@TempDir Path dir) throws Exception {
        Path model = TinyCustomerService.writeModel(dir.resolve("model"));
        Path out = dir.resolve("out");
        FineTuneResult result = FineTuner.builder()
                .model(model)
                .dataset(Datasets.siliconFlow(TinyCustomerService.data()))
                .template("qwen")
                .lora(16, 32, 0.0)
                .learningRate(5e-3).epochs(30).batchSize(4)
                .scheduler(SchedulerType.CONSTANT)
                .loggingSteps(1)
                .cutoffLen(256)
                .seed(42)
                .outputDir(out)
                .train();

        List<JsonNode> log = new TrainerLog(out).read();
        assertEquals(90, log.size(), "12 examples, batch 4: 3 steps per epoch, 30 epochs, a line per step");
        double first = log.get(0).get("loss").asDouble();
        double last = log.get(log.size() - 1).get("loss").asDouble();
        assertTrue(last < first / 10, "loss " + first + " -> " + last + " must fall below a tenth of its start");
        assertEquals(90, result.summary().globalSteps());

        // the output folder is a PEFT adapter with the run's records
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors", "trainer_log.jsonl",
                "train_results.json", "training_loss.png", "tokenizer.json")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        JsonNode results = new ObjectMapper().readTree(out.resolve("train_results.json").toFile());
        assertEquals(90, results.get("total_steps").asInt());
        assertTrue(results.get("train_runtime").asDouble() > 0);

        // greedy generation answers a trained question with its trained answer
        try (ChatModel chat = ChatModel.load(model, out, "qwen")) {
            String answer = chat.reply(Conversation.of("你是客服助手", List.of(Message.user("如何修改收货地址?"))),
                    chat.greedy(120), null);
            assertEquals("您可以按以下步骤修改:\n1. 进入订单详情\n2. 点击'修改地址'\n3. 输入新地址信息\n4. 保存修改", answer);
        }
    }
}
