package dev.finetune4j.cli;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.adapters.lora.LoraAdapter;
import dev.finetune4j.adapters.lora.LoraConfig;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.OpTimings;
import dev.finetune4j.model.tiny.RandomWeights;
import dev.finetune4j.nn.BlasLibrary;
import dev.finetune4j.nn.NativeMemory;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.quant.Quantizers;
import dev.finetune4j.train.optim.AdamW;
import dev.finetune4j.train.optim.GradientClipping;
import dev.finetune4j.train.optim.ParamGroup;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code finetune bench}: LoRA training throughput on a random model of a preset shape, built in memory — the same
 * workload as {@code ../shared/tools/torchref/bench.py} (LoRA r8 α16 on q/k/v/o/gate/up/down, base frozen, random ids
 * with labels = ids, AdamW with weight decay 0), so the two can be run one after the other and compared. Each step is
 * what {@link dev.finetune4j.train.TrainingLoop} does for one optimizer step: zero the gradients, reseed the adapter,
 * forward + fused cross-entropy + backward, global-norm clipping at 1.0, AdamW. Prints one JSON line.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure LoRA training speed (tokens/s) and peak memory on a random model of a preset shape"
                + " (the shapes of torchref's bench.py). Prints one JSON line.")
final class BenchCommand implements Callable<Integer> {

    /** The preset shapes of torchref/bench.py, plus {@code micro} (a seconds-long smoke test). */
    enum Preset {
        micro, tiny, small, qwen05;

        ModelConfig config() {
            return switch (this) {
                case micro -> ModelConfig.builder("llama").hidden(64).layers(2).heads(4).kvHeads(2).intermediate(128)
                        .vocab(512).tieWordEmbeddings(false).build();
                case tiny -> ModelConfig.builder("llama").hidden(256).layers(4).heads(4).kvHeads(2).intermediate(688)
                        .vocab(8192).tieWordEmbeddings(false).build();
                case small -> ModelConfig.builder("llama").hidden(512).layers(8).heads(8).kvHeads(4)
                        .intermediate(1376).vocab(32000).tieWordEmbeddings(false).build();
                case qwen05 -> ModelConfig.builder("qwen2").hidden(896).layers(24).heads(14).kvHeads(2)
                        .intermediate(4864).vocab(151936).tieWordEmbeddings(true).ropeTheta(1000000)
                        .maxPositionEmbeddings(32768).build();
            };
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--preset", required = true, paramLabel = "NAME",
            description = "Model shape: ${COMPLETION-CANDIDATES} (tiny/small/qwen05 as in torchref bench.py;"
                    + " micro is a smoke test).")
    Preset preset;

    @Option(names = "--batch", defaultValue = "1", description = "Sequences per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq", defaultValue = "256", description = "Tokens per sequence (default ${DEFAULT-VALUE}).")
    int seq;

    @Option(names = "--steps", defaultValue = "5", description = "Timed steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed steps first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank (default ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--alpha", defaultValue = "16", description = "LoRA alpha (default ${DEFAULT-VALUE}).")
    int alpha;

    @Option(names = "--lora-dropout", defaultValue = "0", description = "LoRA dropout (default ${DEFAULT-VALUE},"
            + " as bench.py).")
    double dropout;

    @Option(names = "--activation-checkpointing", description = "Recompute each layer in backward (less memory).")
    boolean checkpointing;

    @Option(names = "--quantization-bit", paramLabel = "4|8", description = "Quantize the frozen base (QLoRA).")
    Integer quantizationBit;

    @Option(names = "--profile", description = "Also print where a step's time goes (per-op milliseconds) on stderr.")
    boolean profile;

    @Option(names = "--seed", defaultValue = "0", description = "Weights and token ids seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        if (quantizationBit != null) {
            if (quantizationBit != 4 && quantizationBit != 8) {
                throw new FineTuneException("--quantization-bit must be 4 or 8, not " + quantizationBit);
            }
        }
        if (batch < 1 || seq < 2 || steps < 1 || warmup < 0 || rank < 1) {
            throw new FineTuneException("--batch and --steps must be >= 1, --seq >= 2, --warmup >= 0, --rank >= 1");
        }
        ModelConfig cfg = preset.config();
        long t0 = System.nanoTime();
        ModelOptions options = ModelOptions.defaults().withActivationCheckpointing(checkpointing);
        CausalLM model;
        try {
            CausalLM.LinearWeights weights = quantizationBit == null ? CausalLM.LinearWeights.dense()
                    : Quantizers.baseWeights(quantizationBit == 4 ? Quantizers.nf4() : Quantizers.int8());
            model = CausalLM.create(cfg, options, new RandomWeights(seed, 0.02, 0.1), weights);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // generated weights: no I/O
        }
        LoraAdapter lora = LoraAdapter.create(LoraConfig.of(rank, alpha, dropout, "all"), seed);
        lora.apply(model);
        List<Parameter> trainable = lora.trainableParameters();
        AdamW optimizer = new AdamW(ParamGroup.huggingFaceDefault(trainable, 0), AdamW.Settings.defaults());
        Batch input = randomBatch(cfg.vocabSize());
        long labelTokens = input.lossTokenCount();
        double buildS = (System.nanoTime() - t0) / 1e9;

        double[] stepS = new double[steps];
        double[] cpuS = new double[steps];
        double[] threadCpuS = new double[steps];
        java.lang.management.ThreadMXBean threadBean = java.lang.management.ManagementFactory.getThreadMXBean();
        double firstLoss = Double.NaN;
        double lastLoss = Double.NaN;
        for (int i = 0; i < warmup + steps; i++) {
            if (profile && i == warmup) {
                OpTimings.reset();
                OpTimings.enable(true);
            }
            long c0 = processCpuNanos();
            long tc0 = threadBean.getCurrentThreadCpuTime();
            long s0 = System.nanoTime();
            optimizer.zeroGrad();
            lora.reseed(seed * 1_000_003L + i);
            double loss = model.lossAndBackward(input, labelTokens).loss();
            long s1 = System.nanoTime();
            long o1 = OpTimings.start();
            GradientClipping.clip(trainable, 1.0);
            optimizer.step(1e-4);
            long s2 = System.nanoTime();
            OpTimings.stop("clip+adamw", o1);
            if (i >= warmup) {
                stepS[i - warmup] = (s2 - s0) / 1e9;
                cpuS[i - warmup] = (processCpuNanos() - c0) / 1e9;
                threadCpuS[i - warmup] = (threadBean.getCurrentThreadCpuTime() - tc0) / 1e9;
            }
            if (i == 0) {
                firstLoss = loss;
            }
            lastLoss = loss;
        }
        double median = median(stepS);
        PrintWriter out = spec.commandLine().getOut();
        out.println(String.format(Locale.ROOT, "{\"engine\": \"finetune4j\", \"preset\": \"%s\", \"batch\": %d,"
                        + " \"seq\": %d, \"threads\": %d, \"tokens_per_s\": %.2f, \"step_s_median\": %.6f,"
                        + " \"step_s_min\": %.6f, \"step_s_max\": %.6f, \"cpu_s_median\": %.4f,"
                        + " \"main_thread_cpu_s_median\": %.4f, \"peak_rss_mb\": %.1f, \"steps\": %d,"
                        + " \"warmup\": %d, \"lora\": {\"r\": %d, \"alpha\": %d, \"dropout\": %s},"
                        + " \"activation_checkpointing\": %s, \"quantization_bit\": %s, \"params_total\": %d, \"params_trainable\": %d,"
                        + " \"loss_first\": %.5f, \"loss_last\": %.5f, \"build_s\": %.2f, \"blas\": \"%s\"}",
                preset, batch, seq, threads(), batch * seq / median, median,
                Arrays.stream(stepS).min().orElse(0), Arrays.stream(stepS).max().orElse(0), median(cpuS),
                median(threadCpuS),
                NativeMemory.peakResidentBytes() / 1048576.0, steps, warmup, rank, alpha, dropout, checkpointing,
                quantizationBit == null ? "null" : quantizationBit.toString(), model.parameterCount(), trainable.stream().mapToLong(Parameter::numel).sum(), firstLoss, lastLoss,
                buildS, BlasLibrary.describe().orElse("unknown").replace("\\", "/").replace("\"", "'")));
        out.flush();
        if (profile) {
            PrintWriter err = spec.commandLine().getErr();
            err.print(OpTimings.report(steps));
            err.flush();
            OpTimings.enable(false);
        }
        model.close();
        return 0;
    }

    /** Random ids (labels = ids, every token attends causally within its row), as bench.py draws them. */
    private Batch randomBatch(int vocab) {
        SplittableRandom r = new SplittableRandom(seed + 1);
        int[][] ids = new int[batch][seq];
        int[][] mask = new int[batch][seq];
        int[][] pos = new int[batch][seq];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                ids[b][t] = r.nextInt(vocab);
                mask[b][t] = 1;
                pos[b][t] = t;
            }
        }
        return new Batch(Nd4j.createFromArray(ids), Nd4j.createFromArray(ids), Nd4j.createFromArray(mask),
                Nd4j.createFromArray(pos));
    }

    /** OpenMP threads ND4J runs with ({@code OMP_NUM_THREADS} when set, else ND4J's own choice). */
    static int threads() {
        String env = System.getenv("OMP_NUM_THREADS");
        if (env != null && env.matches("\\d+")) {
            return Integer.parseInt(env);
        }
        return Nd4j.getEnvironment().maxThreads();
    }

    /** CPU time of the whole process (all threads), or 0 where the JVM does not tell. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.max(0, os.getProcessCpuTime());
        }
        return 0;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
