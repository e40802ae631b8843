package dev.finetune4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.FineTuneException;
import dev.finetune4j.FineTuner;
import dev.finetune4j.config.FinetuningType;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.quant.Quantizers;
import dev.finetune4j.train.report.TrainerLog;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8: QLoRA (4-bit NF4 and 8-bit base weights) converges like LoRA on the full-precision model: the same run on
 * the quantized base ends within 10 % of LoRA's final loss (here loss 8.9 → 0.17 in 60 steps; NF4 ends about 7 %
 * lower, INT8 about 1 % lower). The learning rate is moderate on purpose: at 5e-3 the runs memorise the 12 examples
 * (loss ~0.005) and the last losses differ by 20-50 % between any two differently perturbed runs, INT8 included —
 * noise, not convergence.
 */
class QLoraSftTest {

    private static List<JsonNode> run(Path model, Path out, UnaryOperator<FineTuner.Builder> extra) throws Exception {
        extra.apply(FineTuner.builder()
                        .model(model)
                        .dataset(Datasets.siliconFlow(TinyCustomerService.data()))
                        .template("qwen")
                        .lora(16, 32, 0.0)
                        .learningRate(2e-3).epochs(20).batchSize(4)
                        .scheduler(SchedulerType.CONSTANT)
                        .loggingSteps(1).cutoffLen(256).seed(42)
                        .outputDir(out))
                .train();
        return new TrainerLog(out).read();
    }

    /** The mean loss of the last epoch (3 steps). */
    private static double finalLoss(List<JsonNode> log) {
        return log.subList(log.size() - 3, log.size()).stream().mapToDouble(n -> n.get("loss").asDouble()).average()
                .orElseThrow();
    }

    @Test
    void qloraConvergesLikeLora(@TempDir Path dir) throws Exception {
        Path model = TinyCustomerService.writeModel(dir.resolve("model"));
        List<JsonNode> lora = run(model, dir.resolve("lora"), b -> b);
        List<JsonNode> nf4 = run(model, dir.resolve("nf4"), b -> b.configure(c -> c.quantizationBit(4)));
        List<JsonNode> int8 = run(model, dir.resolve("int8"), b -> b.quantize(Quantizers.int8()));
        assertEquals(60, lora.size());
        assertEquals(60, nf4.size());

        double first = lora.get(0).get("loss").asDouble();
        double loraFinal = finalLoss(lora);
        assertTrue(loraFinal < first / 20, "LoRA learns: " + first + " -> " + loraFinal);
        // the quantized base changes the very first loss a little (the weights differ), so quantization is on
        assertNotEquals(first, nf4.get(0).get("loss").asDouble());
        assertEquals(first, nf4.get(0).get("loss").asDouble(), 0.05 * first);
        double nf4Final = finalLoss(nf4);
        double int8Final = finalLoss(int8);
        assertEquals(loraFinal, nf4Final, 0.10 * loraFinal, "QLoRA-4 final loss within 10 % of LoRA's");
        assertEquals(loraFinal, int8Final, 0.10 * loraFinal, "8-bit final loss within 10 % of LoRA's");
    }

    @Test
    void quantizationNeedsLora(@TempDir Path dir) throws Exception {
        Path model = TinyCustomerService.writeModel(dir.resolve("model"));
        FineTuneException e = assertThrows(FineTuneException.class, () -> FineTuner.builder()
                .model(model).dataset(Datasets.siliconFlow(TinyCustomerService.data())).template("qwen")
                .finetuningType(FinetuningType.FULL).quantize(Quantizers.nf4()).outputDir(dir.resolve("o")).train());
        assertTrue(e.getMessage().contains("lora"), e.getMessage());
    }
}
