package dev.finetune4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.FineTuner;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.datasets.Datasets;
import dev.finetune4j.train.report.TrainerLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** Issue 5: a run stopped after step k and resumed from its checkpoint gives the same steps as one uninterrupted run. */
class ResumeTest {

    private static FineTuner.Builder run(Path model, Path out, List<Double> losses) {
        return FineTuner.builder()
                .model(model)
                .dataset(Datasets.siliconFlow(TinyCustomerService.data()))
                .template("qwen")
                .lora(8, 16, 0.1)                        // dropout: the resumed run must draw the same masks
                .learningRate(3e-3).maxSteps(8).batchSize(2).gradientAccumulation(2)
                .scheduler(SchedulerType.LINEAR).warmupSteps(2)
                .loggingSteps(1).saveSteps(3).seed(7)    // shuffled, seeded
                .cutoffLen(128)
                .outputDir(out)
                .listener(new TrainingListener() {
                    @Override
                    public void onStep(long step, long total, double loss, double lr, long tokens) {
                        losses.add(loss);
                    }
                });
    }

    @Test
    void resumedRunContinuesStepForStep(@TempDir Path dir) throws Exception {
        Path model = TinyCustomerService.writeModel(dir.resolve("model"));
        Path whole = dir.resolve("whole");
        List<Double> wholeLosses = new ArrayList<>();
        run(model, whole, wholeLosses).train();
        assertEquals(8, wholeLosses.size());
        assertTrue(Files.isDirectory(whole.resolve("checkpoint-3")));
        assertTrue(Files.isDirectory(whole.resolve("checkpoint-6")));
        for (String f : List.of("adapter_model.safetensors", "optimizer.safetensors", "trainer_state.json")) {
            assertTrue(Files.isRegularFile(whole.resolve("checkpoint-3").resolve(f)), f);
        }

        // "stopped after step 3": a new run continues from that checkpoint
        Path resumed = dir.resolve("resumed");
        List<Double> resumedLosses = new ArrayList<>();
        run(model, resumed, resumedLosses).resumeFromCheckpoint(whole.resolve("checkpoint-3")).train();
        assertEquals(5, resumedLosses.size(), "steps 4..8");
        for (int k = 0; k < 5; k++) {
            assertEquals(wholeLosses.get(3 + k), resumedLosses.get(k), 1e-6 * Math.abs(wholeLosses.get(3 + k)),
                    "loss of step " + (4 + k));
        }
        List<JsonNode> log = new TrainerLog(resumed).read();
        assertEquals(4, log.get(0).get("current_steps").asLong());
        assertEquals(new TrainerLog(whole).read().get(7).get("lr").asDouble(), log.get(4).get("lr").asDouble());

        // and ends with the same adapter
        try (SafetensorsFile a = SafetensorsFile.open(whole.resolve("adapter_model.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(resumed.resolve("adapter_model.safetensors"))) {
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            for (String name : a.tensors().keySet()) {
                assertArrayEquals(a.load(name, DataType.FLOAT).data().asFloat(),
                        b.load(name, DataType.FLOAT).data().asFloat(), 1e-6f, name);
            }
        }
    }
}
