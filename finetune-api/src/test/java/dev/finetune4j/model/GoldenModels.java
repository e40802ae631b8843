package dev.finetune4j.model;

import dev.finetune4j.checkpoint.SafeDType;
import dev.finetune4j.model.tiny.TinyModelWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The tiny models whose logits are checked against the PyTorch reference (../shared/tools/torchref). Weights have
 * std 0.2 (at 0.02 attention is nearly uniform and RoPE bugs hide).
 *
 * <p>Regenerating the golden files (src/test/resources/golden/README.md):
 * <pre>
 *   java -cp CLASSPATH dev.finetune4j.model.GoldenModels /tmp/golden-models
 *   /usr/bin/python3 finetune-api/src/test/resources/golden/make_golden.py /tmp/golden-models finetune-api/src/test/resources/golden
 * </pre>
 */
public final class GoldenModels {
    private GoldenModels() {
    }

    /** One golden model: a writer and the tokens/labels to run. */
    public record Spec(String name, TinyModelWriter writer, int[][] tokens, int[][] labels) {
    }

    static final int VOCAB = 512;

    public static Map<String, Spec> specs() {
        Map<String, Spec> out = new LinkedHashMap<>();
        ModelConfig llama = ModelConfig.builder("llama").hidden(64).layers(2).heads(4).kvHeads(2).intermediate(128)
                .vocab(VOCAB).ropeTheta(500000).ropeScaling(RopeScaling.llama3(8, 1, 4, 32)).build();
        add(out, "llama-gqa-llama3rope", TinyModelWriter.of(llama).seed(1));
        add(out, "llama-gqa-llama3rope-f16", TinyModelWriter.of(llama).seed(1).dtype(SafeDType.F16));
        ModelConfig llamaMha = ModelConfig.builder("llama").hidden(48).layers(2).heads(4).kvHeads(4).headDim(16)
                .intermediate(96).vocab(VOCAB).ropeTheta(10000).ropeScaling(RopeScaling.linear(2))
                .attentionBias(true).mlpBias(true).tieWordEmbeddings(true).build();
        add(out, "llama-mha-bias-linearrope-tied", TinyModelWriter.of(llamaMha).seed(2));
        ModelConfig qwen2 = ModelConfig.builder("qwen2").hidden(64).layers(2).heads(4).kvHeads(2).intermediate(128)
                .vocab(VOCAB).build();
        add(out, "qwen2", TinyModelWriter.of(qwen2).seed(3));
        add(out, "qwen2-bf16", TinyModelWriter.of(qwen2).seed(3).dtype(SafeDType.BF16));
        add(out, "qwen2-untied-theta1e4", TinyModelWriter.of(ModelConfig.builder("qwen2").hidden(64).layers(2)
                .heads(4).kvHeads(2).intermediate(128).vocab(VOCAB).tieWordEmbeddings(false).ropeTheta(10000).build())
                .seed(4));
        add(out, "qwen3-headdim32", TinyModelWriter.of(ModelConfig.builder("qwen3").hidden(64).layers(2).heads(4)
                .kvHeads(2).headDim(32).intermediate(128).vocab(VOCAB).build()).seed(5));
        add(out, "mistral-mqa-window5", TinyModelWriter.of(ModelConfig.builder("mistral").hidden(64).layers(2)
                .heads(4).kvHeads(1).intermediate(128).vocab(VOCAB).ropeTheta(10000).slidingWindow(5).build()).seed(6));
        return out;
    }

    private static void add(Map<String, Spec> out, String name, TinyModelWriter writer) {
        SplittableRandom r = new SplittableRandom(name.hashCode());
        int[][] tokens = new int[2][16];
        int[][] labels = new int[2][16];
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 16; t++) {
                tokens[b][t] = r.nextInt(VOCAB);
                labels[b][t] = t < 3 + 4 * b ? -100 : tokens[b][t]; // a masked "prompt" of 3 / 7 tokens
            }
        }
        out.put(name, new Spec(name, writer.std(0.2).normNoise(0.1), tokens, labels));
    }

    /** Writes every golden model folder, each with {@code golden-input.json} (tokens and labels), under args[0]. */
    public static void main(String[] args) throws IOException {
        Path root = Paths.get(args.length > 0 ? args[0] : "/tmp/golden-models");
        for (Spec s : specs().values()) {
            Path dir = root.resolve(s.name());
            s.writer().write(dir);
            Files.writeString(dir.resolve("golden-input.json"), "{\"tokens\": " + json(s.tokens()) + ", \"labels\": "
                    + json(s.labels()) + "}\n");
            System.out.println("wrote " + dir);
        }
    }

    private static String json(int[][] a) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < a.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(java.util.Arrays.toString(a[i]));
        }
        return sb.append("]").toString();
    }
}
