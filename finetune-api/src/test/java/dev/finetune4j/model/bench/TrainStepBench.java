package dev.finetune4j.model.bench;

import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.OpTimings;
import dev.finetune4j.model.layers.Tensors;
import dev.finetune4j.model.loss.CausalLmLoss;
import dev.finetune4j.model.tiny.RandomWeights;
import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.Parameter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training-step time of the decoder (forward + fused CE + backward) on a random model of a torchref bench preset.
 * Not a test: run with the test class path (see ../../../../../../../README of the report), e.g.
 * <pre>
 *   OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE java -cp CP dev.finetune4j.model.bench.TrainStepBench \
 *       --preset small --batch 1 --seq 256 --steps 5 --warmup 2 [--trainable norm|none|all] [--checkpoint] [--profile]
 * </pre>
 * {@code --trainable norm} (default) makes only {@code model.norm.weight} trainable: the full backward runs through
 * every layer (input gradients) but no frozen matrix gets a weight gradient — the cost of LoRA's base model.
 */
public final class TrainStepBench {
    private TrainStepBench() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = BenchSupport.args(argv);
        String presetName = a.getOrDefault("preset", "tiny");
        int batch = Integer.parseInt(a.getOrDefault("batch", "1"));
        int seq = Integer.parseInt(a.getOrDefault("seq", "256"));
        int steps = Integer.parseInt(a.getOrDefault("steps", "5"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "2"));
        String trainable = a.getOrDefault("trainable", "norm");
        boolean profile = a.containsKey("profile");
        int gcEvery = Integer.parseInt(a.getOrDefault("gc-every", "0"));
        ModelConfig cfg = BenchSupport.preset(presetName);
        if (a.containsKey("ew-threshold")) {
            Nd4j.getEnvironment().setElementwiseThreshold(Integer.parseInt(a.get("ew-threshold")));
            Nd4j.getEnvironment().setTadThreshold(Integer.parseInt(a.get("ew-threshold")));
        }
        System.err.println("elementwise threshold " + Nd4j.getEnvironment().elementwiseThreshold() + ", tad threshold "
                + Nd4j.getEnvironment().tadThreshold());
        ModelOptions opts = ModelOptions.defaults().withActivationCheckpointing(a.containsKey("checkpoint"));
        if (a.containsKey("loss-chunk")) {
            opts = opts.withLossChunkElements(Long.parseLong(a.get("loss-chunk")));
        }
        long t0 = System.nanoTime();
        CausalLM model = a.containsKey("dir") ? CausalLM.load(java.nio.file.Path.of(a.get("dir")), opts)
                : CausalLM.create(cfg, opts, new RandomWeights(0, 0.02, 0.1));
        cfg = model.config();
        double buildS = (System.nanoTime() - t0) / 1e9;
        switch (trainable) {
            case "all" -> model.namedParameters().values().forEach(p -> p.setTrainable(true));
            case "norm" -> model.namedParameters().get("model.norm.weight").setTrainable(true);
            case "none" -> { }
            default -> throw new IllegalArgumentException("--trainable norm|none|all");
        }
        SplittableRandom r = new SplittableRandom(1);
        int[][] ids = new int[batch][seq];
        int[][] mask = new int[batch][seq];
        int[][] pos = new int[batch][seq];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                ids[b][t] = r.nextInt(cfg.vocabSize());
                mask[b][t] = 1;
                pos[b][t] = t;
            }
        }
        Batch bt = new Batch(Nd4j.createFromArray(ids), Nd4j.createFromArray(ids), Nd4j.createFromArray(mask),
                Nd4j.createFromArray(pos));
        int[] targets = CausalLmLoss.shiftedTargets(bt.labels().dup().data().asInt(), batch, seq);
        double rssBuild = BenchSupport.procMb("VmRSS");
        boolean peakReset = BenchSupport.resetPeak();
        double[] fwd = new double[steps];
        double[] loss = new double[steps];
        double[] bwd = new double[steps];
        double[] tot = new double[steps];
        double firstLoss = 0;
        double lastLoss = 0;
        for (int i = 0; i < warmup + steps; i++) {
            if (i == warmup && profile) {
                OpTimings.reset();
                OpTimings.enable(true);
            }
            model.zeroGrad();
            long s0;
            long s1;
            long s2;
            CausalLmLoss.Result res;
            // the lower-level API, as model.lossAndBackward runs it, split to time the three parts
            try (ArrayPool.Activation act = model.pool().activate()) {
                s0 = System.nanoTime();
                INDArray h = model.forward(bt, true);
                s1 = System.nanoTime();
                res = CausalLmLoss.crossEntropy(model.lmHead(), h, targets, 0, true, opts.lossChunkElements());
                Tensors.close(h);
                s2 = System.nanoTime();
                model.backward(res.hiddenGrad());
                Tensors.close(res.hiddenGrad());
            }
            if (gcEvery > 0 && i % gcEvery == gcEvery - 1) {
                System.gc(); // ND4J frees op-internal native buffers only when their Java owners are collected
            }
            long s3 = System.nanoTime();
            if (i == 0) {
                firstLoss = res.loss();
            }
            if (a.containsKey("rss-trace")) {
                System.err.printf(Locale.ROOT, "step %d: rss %.0f MB, peak %.0f MB, pool allocated %.0f MB, pooled %.0f MB%n",
                        i, BenchSupport.procMb("VmRSS"), BenchSupport.procMb("VmHWM"),
                        model.pool().allocatedBytes() / 1048576.0, model.pool().pooledBytes() / 1048576.0);
            }
            lastLoss = res.loss();
            if (i >= warmup) {
                int k = i - warmup;
                fwd[k] = (s1 - s0) / 1e9;
                loss[k] = (s2 - s1) / 1e9;
                bwd[k] = (s3 - s2) / 1e9;
                tot[k] = (s3 - s0) / 1e9;
            }
        }
        double med = BenchSupport.median(tot);
        String threads = String.valueOf(System.getenv("OMP_NUM_THREADS"));
        System.out.println(String.format(Locale.ROOT,
                "{\"engine\": \"finetune4j\", \"preset\": \"%s\", \"batch\": %d, \"seq\": %d, \"trainable\": \"%s\","
                        + " \"checkpoint\": %s, \"tokens_per_s\": %.1f, \"step_s_median\": %.4f, \"step_s_min\": %.4f,"
                        + " \"fwd_s_median\": %.4f, \"loss_s_median\": %.4f, \"bwd_s_median\": %.4f,"
                        + " \"peak_rss_mb\": %.0f, \"train_peak_rss_mb\": %s, \"rss_after_build_mb\": %.0f,"
                        + " \"build_s\": %.1f, \"loss_first\": %.5f, \"loss_last\": %.5f, \"threads\": \"%s\","
                        + " \"params\": %d, \"gc_calls\": %d}",
                presetName, batch, seq, trainable, opts.activationCheckpointing(), batch * seq / med, med,
                Arrays.stream(tot).min().orElse(0), BenchSupport.median(fwd), BenchSupport.median(loss),
                BenchSupport.median(bwd), BenchSupport.procMb("VmHWM"),
                peakReset ? String.format(Locale.ROOT, "%.0f", BenchSupport.procMb("VmHWM")) : "null", rssBuild, buildS,
                firstLoss, lastLoss, threads, model.parameterCount(),
                dev.finetune4j.nn.NativeMemory.collections()));
        if (profile) {
            System.out.print(OpTimings.report(steps));
        }
    }
}
