package dev.finetune4j.adapters.lora.bench;

import dev.finetune4j.adapters.lora.LoraAdapter;
import dev.finetune4j.adapters.lora.LoraConfig;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.tiny.RandomWeights;
import dev.finetune4j.train.optim.AdamW;
import dev.finetune4j.train.optim.GradientClipping;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seconds per LoRA training step (forward + loss + backward, then clipping + AdamW) on a random model of a torchref
 * bench preset, against the same step with no adapter (only {@code model.norm.weight} trains: the base cost).
 * Not a test; run with the test class path:
 * <pre>
 *   OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE java -cp CP dev.finetune4j.adapters.lora.bench.LoraStepBench \
 *       small 256 6 2 [rank] [dropout]
 * </pre>
 */
public final class LoraStepBench {
    private LoraStepBench() {
    }

    public static void main(String[] a) throws Exception {
        String preset = a.length > 0 ? a[0] : "small";
        int seq = a.length > 1 ? Integer.parseInt(a[1]) : 256;
        int steps = a.length > 2 ? Integer.parseInt(a[2]) : 6;
        int warmup = a.length > 3 ? Integer.parseInt(a[3]) : 2;
        int rank = a.length > 4 ? Integer.parseInt(a[4]) : 8;
        double dropout = a.length > 5 ? Double.parseDouble(a[5]) : 0.05;
        ModelConfig cfg = switch (preset) {
            case "tiny" -> ModelConfig.builder("llama").hidden(256).layers(4).heads(4).kvHeads(2).intermediate(688)
                    .vocab(8192).tieWordEmbeddings(false).build();
            case "small" -> ModelConfig.builder("llama").hidden(512).layers(8).heads(8).kvHeads(4).intermediate(1376)
                    .vocab(32000).tieWordEmbeddings(false).build();
            case "qwen05" -> ModelConfig.builder("qwen2").hidden(896).layers(24).heads(14).kvHeads(2)
                    .intermediate(4864).vocab(151936).tieWordEmbeddings(true).ropeTheta(1000000).build();
            default -> throw new IllegalArgumentException("preset tiny, small or qwen05");
        };
        SplittableRandom r = new SplittableRandom(1);
        int[][] ids = new int[1][seq];
        int[][] mask = new int[1][seq];
        int[][] pos = new int[1][seq];
        for (int t = 0; t < seq; t++) {
            ids[0][t] = r.nextInt(cfg.vocabSize());
            mask[0][t] = 1;
            pos[0][t] = t;
        }
        Batch batch = new Batch(Nd4j.createFromArray(ids), Nd4j.createFromArray(ids), Nd4j.createFromArray(mask),
                Nd4j.createFromArray(pos));
        for (String mode : new String[] {"base", "lora-d0", "lora"}) {
            CausalLM model = CausalLM.create(cfg, ModelOptions.defaults(), new RandomWeights(0, 0.02, 0.1));
            AdamW opt;
            if (mode.equals("base")) {
                model.namedParameters().get("model.norm.weight").setTrainable(true);
                opt = AdamW.of(model.trainableParameters(), 0);
            } else {
                LoraAdapter lora = LoraAdapter.create(LoraConfig.of(rank, 2 * rank, mode.equals("lora") ? dropout : 0,
                        "all"), 1);
                lora.apply(model);
                opt = AdamW.of(lora.trainableParameters(), 0);
            }
            double[] step = new double[steps];
            double[] optim = new double[steps];
            double first = 0;
            double last = 0;
            for (int i = 0; i < warmup + steps; i++) {
                long t0 = System.nanoTime();
                opt.zeroGrad();
                double loss = model.lossAndBackward(batch, 0).loss();
                long t1 = System.nanoTime();
                GradientClipping.clip(opt.parameters(), 1.0);
                opt.step(1e-4);
                long t2 = System.nanoTime();
                if (i == 0) {
                    first = loss;
                }
                last = loss;
                if (i >= warmup) {
                    step[i - warmup] = (t2 - t0) / 1e9;
                    optim[i - warmup] = (t2 - t1) / 1e9;
                }
            }
            System.out.println(String.format(Locale.ROOT, "{\"preset\": \"%s\", \"seq\": %d, \"mode\": \"%s\", \"rank\": %d,"
                    + " \"step_s_median\": %.4f, \"clip_adamw_s_median\": %.5f, \"trainable\": %d, \"loss_first\": %.4f,"
                    + " \"loss_last\": %.4f, \"threads\": \"%s\"}", preset, seq, mode, rank, median(step), median(optim),
                    opt.parameters().stream().mapToLong(p -> p.numel()).sum(), first, last, System.getenv("OMP_NUM_THREADS")));
            model.close();
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
