package dev.finetune4j.train;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.finetune4j.FineTuneResult;
import dev.finetune4j.FineTuner;
import dev.finetune4j.config.SchedulerType;
import dev.finetune4j.config.Stage;
import dev.finetune4j.data.EncodedExample;
import dev.finetune4j.encoding.TokenizedJsonl;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.tiny.TinyModelWriter;
import dev.finetune4j.nn.NativeMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Issue 5's memory check, a benchmark (not part of the suite): LoRA SFT through {@link FineTuner} on a random
 * Qwen2.5-0.5B-shaped fp32 checkpoint (hidden 896, 24 layers, 14 heads, 2 KV heads, intermediate 4864, vocab 151936,
 * tied) at sequence 256, batch 1, LoRA r8 on all seven projections. Prints seconds per step and peak RSS.
 *
 * <pre>
 * mvn -o -q -B -pl finetune-examples -am test -Dtest=Qwen05SftBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dfinetune4j.bench=true [-Dfinetune4j.benchDir=/tmp/qwen05]
 * </pre>
 */
class Qwen05SftBenchmark {

    @Test
    void run() throws Exception {
        assumeTrue(Boolean.getBoolean("finetune4j.bench"), "benchmark: run with -Dfinetune4j.bench=true");
        Path dir = Path.of(System.getProperty("finetune4j.benchDir", "/tmp/finetune4j-qwen05"));
        Path model = dir.resolve("model");
        if (!Files.exists(model.resolve("config.json"))) {
            ModelConfig arch = ModelConfig.builder("qwen2").hidden(896).layers(24).heads(14).kvHeads(2)
                    .intermediate(4864).vocab(151936).build();
            TinyModelWriter.of(arch).seed(1).std(0.02).write(model);
        }
        SplittableRandom r = new SplittableRandom(1);
        List<EncodedExample> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int[] ids = r.ints(256, 0, 151000).toArray();
            rows.add(new EncodedExample(ids, ids));
        }
        Path tokens = dir.resolve("rows.jsonl");
        TokenizedJsonl.write(tokens, rows);
        int steps = Integer.getInteger("finetune4j.benchSteps", 6);
        List<Double> stepSeconds = new ArrayList<>();
        long[] last = {System.nanoTime()};
        FineTuneResult result = FineTuner.builder().model(model)
                .configure(c -> c.tokenizedPath(tokens).stage(Stage.SFT))
                .lora(8, 16, 0.0).learningRate(1e-4).maxSteps(steps).batchSize(1)
                .scheduler(SchedulerType.CONSTANT).loggingSteps(1)
                .outputDir(dir.resolve("out")).overwriteOutputDir(true)
                .listener(new TrainingListener() {
                    @Override
                    public void onTrainBegin(TrainingPlan plan) {
                        last[0] = System.nanoTime();
                    }

                    @Override
                    public void onStep(long step, long total, double loss, double lr, long t) {
                        long now = System.nanoTime();
                        stepSeconds.add((now - last[0]) / 1e9);
                        last[0] = now;
                    }
                })
                .train();
        List<Double> sorted = new ArrayList<>(stepSeconds.subList(1, stepSeconds.size()));
        sorted.sort(null);
        double median = sorted.get(sorted.size() / 2);
        System.out.printf("{\"shape\":\"qwen05\",\"batch\":1,\"seq\":256,\"steps\":%d,\"step_s_median\":%.2f,"
                        + "\"tokens_per_s\":%.1f,\"peak_rss_mb\":%d,\"step_s\":%s}%n", steps, median, 256 / median,
                NativeMemory.peakResidentBytes() >> 20, stepSeconds);
        System.out.println("train_results: " + Files.readString(dir.resolve("out/train_results.json")));
        System.out.println(result.summary());
    }
}
