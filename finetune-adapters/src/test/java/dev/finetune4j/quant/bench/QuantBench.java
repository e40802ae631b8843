package dev.finetune4j.quant.bench;

import dev.finetune4j.data.Batch;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.ModelOptions;
import dev.finetune4j.model.tiny.RandomWeights;
import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.Linear;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.nn.WeightStore;
import dev.finetune4j.quant.Quantizer;
import dev.finetune4j.quant.Quantizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Quantizer numbers for the report. Not a test; run with the test class path:
 * <pre>
 *   OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE java -Xmx4g -cp CP dev.finetune4j.quant.bench.QuantBench [preset] [method]
 * </pre>
 * 1. dequantization throughput of one {@code [4864, 896]} weight (qwen2.5-0.5B's gate_proj) per method;
 * 2. a random model of the preset (default {@code qwen05}) built with its linear layers quantized as they are
 *    generated: bytes per parameter of the quantized base weights (their {@code storageBytes}, and the Java heap they
 *    occupy, measured after a GC), the whole model's resident memory, and one forward pass against the dense model.
 */
public final class QuantBench {
    private QuantBench() {
    }

    public static void main(String[] a) throws Exception {
        String preset = a.length > 0 ? a[0] : "qwen05";
        String method = a.length > 1 ? a[1] : "nf4";
        dequantThroughput();
        modelMemory(preset, method);
    }

    private static void dequantThroughput() {
        SplittableRandom r = new SplittableRandom(1);
        float[] v = new float[4864 * 896];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((r.nextDouble() - 0.5) * 0.04);
        }
        INDArray dense = Nd4j.createFromArray(v).reshape(4864, 896);
        ArrayPool pool = new ArrayPool(Long.MAX_VALUE);
        for (Quantizer q : new Quantizer[] {Quantizers.nf4(), Quantizers.get("nf4", false), Quantizers.fp4(),
                Quantizers.int8()}) {
            long t0 = System.nanoTime();
            WeightStore s = q.quantize("w", dense);
            double quantMs = (System.nanoTime() - t0) / 1e6;
            int reps = 40;
            double best = Double.MAX_VALUE;
            try (ArrayPool.Activation act = pool.activate()) {
                for (int i = 0; i < reps; i++) {
                    long t1 = System.nanoTime();
                    INDArray w = s.acquire();
                    s.release(w);
                    best = Math.min(best, (System.nanoTime() - t1) / 1e6);
                }
            }
            double outMb = 4.0 * v.length / 1e6;
            System.out.printf(Locale.ROOT, "%-4s dq=%-5s quantize %6.1f ms; dequantize best %5.2f ms = %6.0f MB/s of "
                            + "fp32 out (%.3f bits/weight)%n", q.name(), q.doubleQuantization(), quantMs, best,
                    outMb / (best / 1e3), q.bitsPerWeight(4864, 896));
        }
    }

    private static void modelMemory(String preset, String method) throws Exception {
        ModelConfig cfg = switch (preset) {
            case "tiny" -> ModelConfig.builder("llama").hidden(256).layers(4).heads(4).kvHeads(2).intermediate(688)
                    .vocab(8192).tieWordEmbeddings(false).build();
            case "small" -> ModelConfig.builder("llama").hidden(512).layers(8).heads(8).kvHeads(4).intermediate(1376)
                    .vocab(32000).tieWordEmbeddings(false).build();
            case "qwen05" -> ModelConfig.builder("qwen2").hidden(896).layers(24).heads(14).kvHeads(2)
                    .intermediate(4864).vocab(151936).tieWordEmbeddings(true).ropeTheta(1000000).build();
            default -> throw new IllegalArgumentException("preset tiny, small or qwen05");
        };
        Quantizer q = Quantizers.get(method, true);
        gc();
        long heap0 = heapUsed();
        double rss0 = procMb("VmRSS");
        long t0 = System.nanoTime();
        CausalLM model = CausalLM.create(cfg, ModelOptions.defaults(), new RandomWeights(0, 0.02, 0.1),
                Quantizers.baseWeights(q));
        double buildS = (System.nanoTime() - t0) / 1e9;
        gc();
        long heap1 = heapUsed();
        double rss1 = procMb("VmRSS");
        long quantParams = 0;
        long quantBytes = 0;
        for (Linear l : model.linearLayers().values()) {
            WeightStore s = ((DenseLinear) l).weight();
            if (s.parameter().isEmpty()) {
                quantParams += s.outFeatures() * s.inFeatures();
                quantBytes += s.storageBytes();
            }
        }
        long denseParams = model.namedParameters().values().stream().mapToLong(Parameter::numel).sum();
        long total = denseParams + quantParams;
        System.out.printf(Locale.ROOT, "%s %s: built in %.1f s; %d parameters, %d in quantized linear layers (%.1f %%)%n",
                preset, method, buildS, total, quantParams, 100.0 * quantParams / total);
        System.out.printf(Locale.ROOT, "  quantized base weights: storageBytes %.1f MB = %.4f bytes/param; Java heap "
                        + "grew %.1f MB = %.4f bytes/param%n", quantBytes / 1e6, (double) quantBytes / quantParams,
                (heap1 - heap0) / 1e6, (double) (heap1 - heap0) / quantParams);
        System.out.printf(Locale.ROOT, "  dense parameters kept (embedding, norms, biases): %d = %.1f MB fp32%n",
                denseParams, denseParams * 4 / 1e6);
        System.out.printf(Locale.ROOT, "  all base weights: %.1f MB = %.4f bytes/param; RSS %.0f -> %.0f MB (+%.0f MB; "
                        + "peak %.0f MB)%n", (quantBytes + denseParams * 4) / 1e6,
                (double) (quantBytes + denseParams * 4) / total, rss0, rss1, rss1 - rss0, procMb("VmHWM"));
        // one forward pass (the dequantized temporaries come from the model's pool)
        int seq = 64;
        int[][] ids = new int[1][seq];
        int[][] mask = new int[1][seq];
        int[][] pos = new int[1][seq];
        SplittableRandom r = new SplittableRandom(2);
        for (int t = 0; t < seq; t++) {
            ids[0][t] = r.nextInt(cfg.vocabSize());
            mask[0][t] = 1;
            pos[0][t] = t;
        }
        Batch batch = new Batch(Nd4j.createFromArray(ids), Nd4j.createFromArray(ids), Nd4j.createFromArray(mask),
                Nd4j.createFromArray(pos));
        for (int i = 0; i < 3; i++) {
            long t1 = System.nanoTime();
            double loss = model.loss(batch).loss();
            System.out.printf(Locale.ROOT, "  forward+loss, seq %d: %.2f s (loss %.4f), RSS %.0f MB%n", seq,
                    (System.nanoTime() - t1) / 1e9, loss, procMb("VmRSS"));
        }
        System.out.printf(Locale.ROOT, "  model pool keeps %.1f MB of buffers%n", model.pool().pooledBytes() / 1e6);
    }

    private static void gc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
    }

    private static long heapUsed() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static double procMb(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }

}
