package dev.finetune4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.checkpoint.CheckpointException;
import dev.finetune4j.checkpoint.SafeDType;
import dev.finetune4j.checkpoint.SafetensorsCheckpoint;
import dev.finetune4j.io.AtomicFiles;
import dev.finetune4j.nn.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The files of a HuggingFace model folder besides the weights, and writing a whole model as one: what a merged
 * export and a full fine-tune leave behind, loadable by {@link CausalLM#load} and by transformers.
 */
public final class HfModelFolder {
    /** Tokenizer files a model folder may hold; those present are copied. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "chat_template.jinja", "chat_template.json", "tokenizer.model", "vocab.json",
            "merges.txt", "added_tokens.json");
    /** Model description files besides the tokenizer. */
    public static final List<String> CONFIG_FILES = List.of("config.json", "generation_config.json");
    /** Shard size of written checkpoints (LLaMA-Factory's {@code export_size} default, 5 GB). */
    public static final long SHARD_BYTES = 5L * 1000 * 1000 * 1000;

    private HfModelFolder() {
    }

    /** Copies the tokenizer files present in {@code from} into {@code to} (each atomically). */
    public static void copyTokenizerFiles(Path from, Path to) throws IOException {
        copy(from, to, TOKENIZER_FILES);
    }

    /** Copies config, generation config and tokenizer files. */
    public static void copyMetadata(Path from, Path to) throws IOException {
        copy(from, to, CONFIG_FILES);
        copy(from, to, TOKENIZER_FILES);
    }

    private static void copy(Path from, Path to, List<String> names) throws IOException {
        Files.createDirectories(to);
        if (from.toAbsolutePath().normalize().equals(to.toAbsolutePath().normalize())) {
            return;
        }
        for (String name : names) {
            Path src = from.resolve(name);
            if (Files.isRegularFile(src)) {
                AtomicFiles.write(to.resolve(name), out -> Files.copy(src, out));
            }
        }
    }

    /**
     * The storage type a checkpoint's {@code torch_dtype} (or v5 {@code dtype}) names: what a merged or fully trained
     * model is written in, as LLaMA-Factory does. Null when the config names none.
     *
     * @throws CheckpointException for a type that cannot be written
     */
    public static SafeDType storageType(String torchDtype, Path configFile) {
        if (torchDtype == null) {
            return null;
        }
        return switch (torchDtype.toLowerCase(Locale.ROOT).replace("torch.", "")) {
            case "float32", "float" -> SafeDType.F32;
            case "bfloat16", "bf16" -> SafeDType.BF16;
            case "float16", "fp16", "half" -> SafeDType.F16;
            default -> throw new CheckpointException(configFile + ": torch_dtype \"" + torchDtype
                    + "\" cannot be written; expected float32, bfloat16 or float16");
        };
    }

    /** {@link #storageType(String, Path)} of a model folder's config.json. */
    public static SafeDType storageType(Path modelDir) throws IOException {
        Path file = modelDir.resolve("config.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode d = root.hasNonNull("torch_dtype") ? root.get("torch_dtype") : root.get("dtype");
        return d == null || d.isNull() ? null : storageType(d.asText(), file);
    }

    /**
     * Writes every parameter of {@code model} as a HuggingFace checkpoint in {@code outDir} (the base's storage type,
     * sharded above 5 GB; a tied LM head is not written twice), with the config and tokenizer files of
     * {@code baseDir}.
     */
    public static void save(CausalLM model, Path baseDir, Path outDir) throws IOException {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            tensors.put(e.getKey(), e.getValue().value());
        }
        SafeDType dtype = storageType(model.config().torchDtype(), baseDir.resolve("config.json"));
        SafetensorsCheckpoint.writeSharded(outDir, tensors, dtype == null ? SafeDType.F32 : dtype, SHARD_BYTES);
        copyMetadata(baseDir, outDir);
    }
}
