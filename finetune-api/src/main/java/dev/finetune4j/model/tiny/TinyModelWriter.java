package dev.finetune4j.model.tiny;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.checkpoint.SafeDType;
import dev.finetune4j.checkpoint.SafetensorsCheckpoint;
import dev.finetune4j.checkpoint.SafetensorsWriter;
import dev.finetune4j.io.AtomicFiles;
import dev.finetune4j.model.CausalLM;
import dev.finetune4j.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Writes a HuggingFace-layout model folder with seeded random weights, for tests, the quickstart and benchmarks:
 * {@code config.json}, {@code model.safetensors} (F32, BF16 or F16; or shards plus
 * {@code model.safetensors.index.json}), {@code generation_config.json} and a byte-level BPE tokenizer
 * ({@link TinyTokenizer}: tokenizer.json, tokenizer_config.json with a ChatML chat_template,
 * special_tokens_map.json).
 *
 * <pre>{@code
 * ModelConfig arch = ModelConfig.builder("qwen2").hidden(64).layers(2).heads(4).kvHeads(2)
 *         .intermediate(128).vocab(512).build();
 * ModelConfig written = TinyModelWriter.of(arch).seed(0).std(0.02).dtype(SafeDType.BF16).write(dir);
 * }</pre>
 *
 * <p>Weights are generated while they are written ({@link RandomWeights}, identical on every machine), so even a
 * 0.5B model is written with a few megabytes of memory. The config's bos/eos/pad ids are set to the tokenizer's
 * {@code <|endoftext|>} (bos, pad) and {@code <|im_end|>} (eos); its vocab must hold the tokenizer (256 bytes +
 * merges + 3 special tokens), and may be larger (unused rows, as in real Qwen checkpoints).
 */
public final class TinyModelWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelConfig arch;
    private long seed;
    private double std = 0.02;
    private double normNoise = 0.1;
    private SafeDType dtype = SafeDType.F32;
    private int shards = 1;
    private String corpus;
    private int maxMerges = -1;

    private TinyModelWriter(ModelConfig arch) {
        this.arch = Objects.requireNonNull(arch, "config");
    }

    public static TinyModelWriter of(ModelConfig arch) {
        return new TinyModelWriter(arch);
    }

    public TinyModelWriter seed(long v) {
        seed = v;
        return this;
    }

    /** Standard deviation of weight matrices, embeddings and biases (default 0.02). */
    public TinyModelWriter std(double v) {
        std = v;
        return this;
    }

    /** Norm weights are {@code 1 + N(0, normNoise)} (default 0.1). */
    public TinyModelWriter normNoise(double v) {
        normNoise = v;
        return this;
    }

    /** Storage type: F32 (default), BF16 or F16. */
    public TinyModelWriter dtype(SafeDType v) {
        if (v != SafeDType.F32 && v != SafeDType.BF16 && v != SafeDType.F16) {
            throw new IllegalArgumentException("tiny models are stored as F32, BF16 or F16, not " + v);
        }
        dtype = v;
        return this;
    }

    /** Number of weight files (1 = a single model.safetensors; more = shards plus an index). */
    public TinyModelWriter shards(int v) {
        if (v < 1) {
            throw new IllegalArgumentException("shards must be >= 1");
        }
        shards = v;
        return this;
    }

    /** The text the tokenizer learns its merges from (default: {@link TinyTokenizer#defaultCorpus()}). */
    public TinyModelWriter tokenizerCorpus(String text) {
        corpus = text;
        return this;
    }

    /** At most this many merges (default: as many as the vocab leaves room for, up to what the corpus supports). */
    public TinyModelWriter maxMerges(int v) {
        maxMerges = v;
        return this;
    }

    /** The tokenizer this writer would write. */
    public TinyTokenizer tokenizer() {
        int room = arch.vocabSize() - 256 - 3;
        if (room < 0) {
            throw new IllegalArgumentException("vocab_size " + arch.vocabSize()
                    + " is too small for the byte-level tokenizer (at least 259: 256 bytes + 3 special tokens)");
        }
        int merges = maxMerges < 0 ? Math.min(room, 2000) : Math.min(room, maxMerges);
        return TinyTokenizer.train(corpus != null ? corpus : TinyTokenizer.defaultCorpus(), merges);
    }

    /** The configuration as written: {@code arch} with the tokenizer's special ids and the storage dtype. */
    public ModelConfig writtenConfig(TinyTokenizer tok) {
        String torchDtype = switch (dtype) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        };
        ModelConfig a = arch;
        return new ModelConfig(a.modelType(), a.vocabSize(), a.hiddenSize(), a.intermediateSize(), a.numHiddenLayers(),
                a.numAttentionHeads(), a.numKeyValueHeads(), a.headDim(), a.rmsNormEps(), a.ropeTheta(),
                a.ropeScaling(), a.maxPositionEmbeddings(), a.qkvBias(), a.oBias(), a.mlpBias(), a.qkNorm(),
                a.tieWordEmbeddings(), a.layerSlidingWindows(), tok.endOfTextId(), List.of(tok.imEndId()),
                tok.endOfTextId(), torchDtype);
    }

    /** Writes the folder (created if needed; existing files of the same names are replaced atomically). */
    public ModelConfig write(Path dir) throws IOException {
        Files.createDirectories(dir);
        TinyTokenizer tok = tokenizer();
        ModelConfig config = writtenConfig(tok);
        writeWeights(dir, config);
        AtomicFiles.writeString(dir.resolve("config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config.toJson()));
        ObjectNode gen = JSON.createObjectNode();
        gen.put("bos_token_id", tok.endOfTextId());
        gen.putArray("eos_token_id").add(tok.imEndId()).add(tok.endOfTextId());
        gen.put("pad_token_id", tok.endOfTextId());
        gen.put("do_sample", false);
        gen.put("transformers_version", "4.51.0");
        AtomicFiles.writeString(dir.resolve("generation_config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(gen));
        tok.write(dir, config.maxPositionEmbeddings());
        return config;
    }

    private void writeWeights(Path dir, ModelConfig config) throws IOException {
        RandomWeights weights = new RandomWeights(seed, std, normNoise);
        Map<String, long[]> shapes = new TreeMap<>(CausalLM.parameterShapes(config));
        if (shards == 1) {
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            shapes.forEach((name, shape) -> w.putGenerated(name, dtype, shape, weights.stream(name)::next));
            Files.deleteIfExists(dir.resolve(SafetensorsCheckpoint.INDEX_FILE));
            w.write(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE));
            return;
        }
        // contiguous groups of (sorted) tensors of about equal byte size
        long total = shapes.values().stream().mapToLong(s -> numel(s) * dtype.bytes()).sum();
        List<List<String>> groups = new ArrayList<>();
        List<String> current = new ArrayList<>();
        long acc = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long bytes = numel(e.getValue()) * dtype.bytes();
            if (!current.isEmpty() && groups.size() < shards - 1
                    && acc + bytes / 2.0 > (double) total / shards * (groups.size() + 1)) {
                groups.add(current);
                current = new ArrayList<>();
            }
            current.add(e.getKey());
            acc += bytes;
        }
        groups.add(current);
        while (groups.size() < shards) {
            groups.add(new ArrayList<>());
        }
        ObjectNode index = JSON.createObjectNode();
        ObjectNode map = JSON.createObjectNode();
        for (int i = 0; i < shards; i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards);
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            for (String name : groups.get(i)) {
                w.putGenerated(name, dtype, shapes.get(name), weights.stream(name)::next);
                map.put(name, file);
            }
            w.write(dir.resolve(file));
        }
        index.putObject("metadata").put("total_size", total);
        index.set("weight_map", map);
        AtomicFiles.writeString(dir.resolve(SafetensorsCheckpoint.INDEX_FILE),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index));
        Files.deleteIfExists(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE));
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
