package dev.finetune4j.model.bench;

import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import dev.finetune4j.model.generate.GenerationConfig;
import dev.finetune4j.model.generate.GenerationResult;
import dev.finetune4j.model.generate.Generator;
import dev.finetune4j.model.tiny.TinyModelWriter;
import dev.finetune4j.nn.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Loading a checkpoint: peak RSS against the weight bytes, and inference speed. Not a test; e.g.
 * <pre>
 *   java -cp CP dev.finetune4j.model.bench.LoadBench --write /tmp/qwen05-f32 --preset qwen05   # once (~2 GB)
 *   OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE java -Xmx1g -cp CP dev.finetune4j.model.bench.LoadBench \
 *       --dir /tmp/qwen05-f32 --prompt 128 --new-tokens 32
 * </pre>
 */
public final class LoadBench {
    private LoadBench() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = BenchSupport.args(argv);
        if (a.containsKey("write")) {
            Path dir = Path.of(a.get("write"));
            long t0 = System.nanoTime();
            ModelConfig cfg = TinyModelWriter.of(BenchSupport.preset(a.getOrDefault("preset", "qwen05"))).seed(0)
                    .std(0.02).write(dir);
            long bytes;
            try (var files = Files.list(dir)) {
                bytes = files.filter(p -> p.toString().endsWith(".safetensors")).mapToLong(p -> p.toFile().length()).sum();
            }
            System.out.println(String.format(Locale.ROOT,
                    "{\"wrote\": \"%s\", \"model\": \"%s\", \"safetensors_mb\": %.0f, \"write_s\": %.1f, \"peak_rss_mb\": %.0f}",
                    dir, cfg.describe(), bytes / 1048576.0, (System.nanoTime() - t0) / 1e9, BenchSupport.procMb("VmHWM")));
            return;
        }
        Path dir = Path.of(a.get("dir"));
        int prompt = Integer.parseInt(a.getOrDefault("prompt", "128"));
        int newTokens = Integer.parseInt(a.getOrDefault("new-tokens", "32"));
        Nd4j.create(1).addi(1); // backend initialised before the baseline
        double rssBefore = BenchSupport.procMb("VmRSS");
        BenchSupport.resetPeak();
        long t0 = System.nanoTime();
        CausalLM model = CausalLM.load(dir);
        double loadS = (System.nanoTime() - t0) / 1e9;
        double peakLoad = BenchSupport.procMb("VmHWM");
        double rssLoaded = BenchSupport.procMb("VmRSS");
        long weightBytes = model.namedParameters().values().stream().mapToLong(Parameter::numel).sum() * 4;
        ModelConfig cfg = model.config();
        SplittableRandom r = new SplittableRandom(1);
        int[] ids = new int[prompt];
        for (int i = 0; i < prompt; i++) {
            ids[i] = r.nextInt(Math.min(cfg.vocabSize(), 400));
        }
        // prefill: full forward of the prompt (hidden states; logits of the last position)
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 3; rep++) {
            long s0 = System.nanoTime();
            int[] pos = new int[prompt];
            int[] seg = new int[prompt];
            for (int i = 0; i < prompt; i++) {
                pos[i] = i;
                seg[i] = 1;
            }
            INDArray h = model.forward(ids, 1, prompt, pos, seg, false);
            INDArray last = model.logitsOf(h.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(prompt - 1, prompt),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()));
            model.release(h, last);
            best = Math.min(best, (System.nanoTime() - s0) / 1e9);
        }
        long g0 = System.nanoTime();
        GenerationResult gen = new Generator(model).generate(ids, GenerationConfig.greedy(newTokens, Set.of()), null);
        double genS = (System.nanoTime() - g0) / 1e9;
        // decode speed without the prefill: time a second generation from a 1-token prompt
        long d0 = System.nanoTime();
        new Generator(model).generate(new int[] {ids[0]}, GenerationConfig.greedy(newTokens, Set.of()), null);
        double decodeS = (System.nanoTime() - d0) / 1e9;
        System.out.println(String.format(Locale.ROOT,
                "{\"model\": \"%s\", \"weight_mb\": %.0f, \"rss_before_load_mb\": %.0f, \"peak_rss_load_mb\": %.0f,"
                        + " \"peak_over_weights\": %.3f, \"peak_minus_baseline_over_weights\": %.3f, \"rss_loaded_mb\": %.0f,"
                        + " \"load_s\": %.1f, \"prefill_tokens\": %d, \"prefill_tok_per_s\": %.1f,"
                        + " \"generate_tok_per_s_incl_prefill\": %.2f, \"decode_tok_per_s\": %.2f,"
                        + " \"peak_rss_end_mb\": %.0f, \"threads\": \"%s\", \"generated\": %d}",
                cfg.describe(), weightBytes / 1048576.0, rssBefore, peakLoad, peakLoad * 1048576.0 / weightBytes,
                (peakLoad - rssBefore) * 1048576.0 / weightBytes, rssLoaded, loadS, prompt, prompt / best,
                gen.tokens().length / genS, newTokens / decodeS, BenchSupport.procMb("VmHWM"),
                System.getenv("OMP_NUM_THREADS"), gen.tokens().length));
    }
}
