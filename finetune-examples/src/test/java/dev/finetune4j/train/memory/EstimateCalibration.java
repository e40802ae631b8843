package dev.finetune4j.train.memory;

import dev.finetune4j.adapters.lora.LoraAdapter;
import dev.finetune4j.adapters.lora.LoraConfig;
import dev.finetune4j.config.FineTuneConfig;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.tiny.RandomWeights;
import dev.finetune4j.nn.NativeMemory;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.quant.Quantizers;
import dev.finetune4j.train.FreezeTuning;
import dev.finetune4j.train.optim.AdamW;
import dev.finetune4j.train.optim.GradientClipping;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures the peak resident memory (VmHWM) of training steps on a random model and prints it beside
 * {@link MemoryEstimator}'s estimate. Not a test; one method per JVM (the peak is the process's):
 * <pre>
 *   for m in lora qlora-4 qlora-8 freeze full; do
 *     OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE java -Xmx2g -cp CP dev.finetune4j.train.memory.EstimateCalibration \
 *         small $m 2 256; done
 * </pre>
 */
public final class EstimateCalibration {
    private EstimateCalibration() {
    }

    public static void main(String[] a) throws Exception {
        String preset = a.length > 0 ? a[0] : "small";
        TuningMethod method = TuningMethod.parse(a.length > 1 ? a[1] : "lora");
        int batch = a.length > 2 ? Integer.parseInt(a[2]) : 2;
        int cutoff = a.length > 3 ? Integer.parseInt(a[3]) : 256;
        int steps = a.length > 4 ? Integer.parseInt(a[4]) : 3;
        ModelConfig cfg = switch (preset) {
            case "tiny" -> ModelConfig.builder("llama").hidden(256).layers(4).heads(4).kvHeads(2).intermediate(688)
                    .vocab(8192).tieWordEmbeddings(false).build();
            case "small" -> ModelConfig.builder("llama").hidden(512).layers(8).heads(8).kvHeads(4).intermediate(1376)
                    .vocab(32000).tieWordEmbeddings(false).build();
            case "qwen05" -> ModelConfig.builder("qwen2").hidden(896).layers(24).heads(14).kvHeads(2)
                    .intermediate(4864).vocab(151936).tieWordEmbeddings(true).ropeTheta(1000000).build();
            default -> throw new IllegalArgumentException("preset tiny, small or qwen05");
        };
        long rssStart = NativeMemory.residentBytes();
        CausalLM.LinearWeights weights = switch (method) {
            case QLORA_4 -> Quantizers.baseWeights(Quantizers.nf4());
            case QLORA_8 -> Quantizers.baseWeights(Quantizers.int8());
            default -> CausalLM.LinearWeights.dense();
        };
        CausalLM model = CausalLM.create(cfg, ModelOptions.defaults(), new RandomWeights(0, 0.02, 0.1), weights);
        List<Parameter> trainable;
        switch (method) {
            case FULL -> {
                model.namedParameters().values().forEach(p -> p.setTrainable(true));
                trainable = model.trainableParameters();
            }
            case FREEZE -> trainable = FreezeTuning.apply(model, cfg.numHiddenLayers(), FineTuneConfig.builder()
                    .modelNameOrPath(Path.of(".")).outputDir(Path.of("out")).dataset("x").template("qwen")
                    .build().method());
            default -> {
                LoraAdapter lora = LoraAdapter.create(LoraConfig.of(8, 16, 0, "all"), 1);
                lora.apply(model);
                trainable = lora.trainableParameters();
            }
        }
        AdamW opt = AdamW.of(trainable, 0);
        SplittableRandom r = new SplittableRandom(1);
        int[][] ids = new int[batch][cutoff];
        int[][] mask = new int[batch][cutoff];
        int[][] pos = new int[batch][cutoff];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < cutoff; t++) {
                ids[b][t] = r.nextInt(cfg.vocabSize());
                mask[b][t] = 1;
                pos[b][t] = t;
            }
        }
        Batch data = new Batch(Nd4j.createFromArray(ids), Nd4j.createFromArray(ids), Nd4j.createFromArray(mask),
                Nd4j.createFromArray(pos));
        long t0 = 0;
        for (int i = 0; i < steps; i++) {
            if (i == 1) {
                t0 = System.nanoTime();
            }
            opt.zeroGrad();
            model.lossAndBackward(data, 0);
            GradientClipping.clip(trainable, 1.0);
            opt.step(1e-4);
        }
        double stepSeconds = steps > 1 ? (System.nanoTime() - t0) / 1e9 / (steps - 1) : Double.NaN;
        long peak = NativeMemory.peakResidentBytes();
        MemoryEstimate e = MemoryEstimator.estimate(cfg, method, MemoryEstimator.Options.of(batch, cutoff));
        System.out.printf(Locale.ROOT, "%s %-7s batch %d cutoff %d: measured peak RSS %7.1f MB (%.1f MB before the "
                        + "model), estimate %7.1f MB (%+.1f %%) [weights %.1f, grads %.1f, adam %.1f, activations %.1f, "
                        + "temporaries %.1f, runtime %.1f]; %.2f s/step after the first%n", preset, method.label(), batch, cutoff, peak / 1e6,
                rssStart / 1e6, e.total() / 1e6, 100.0 * (e.total() - peak) / peak, e.weights() / 1e6,
                e.gradients() / 1e6, e.optimizer() / 1e6, e.activations() / 1e6, e.temporaries() / 1e6,
                e.runtime() / 1e6, stepSeconds);
    }
}
