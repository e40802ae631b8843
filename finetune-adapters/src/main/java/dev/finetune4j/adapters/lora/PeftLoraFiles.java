package dev.finetune4j.adapters.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.checkpoint.CheckpointException;
import dev.finetune4j.checkpoint.SafeDType;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.checkpoint.SafetensorsWriter;
import dev.finetune4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The PEFT LoRA adapter folder (FORMATS.md §E): {@code adapter_config.json} with the keys PEFT and LLaMA-Factory
 * write (sorted, as PEFT's {@code save_pretrained}), and {@code adapter_model.safetensors} with
 * {@code base_model.model.<module path>.lora_A.weight [r, in]} and {@code .lora_B.weight [out, r]}, DoRA's
 * {@code .lora_magnitude_vector [out]}, and the modules_to_save tensors whole ({@code base_model.model.<parameter>}).
 *
 * <p>Reading ignores unknown keys and honours {@code rank_pattern}/{@code alpha_pattern}, {@code use_dora},
 * {@code modules_to_save} and PiSSA's {@code init_lora_weights}; settings this implementation cannot honour (biases,
 * {@code fan_in_fan_out}, layer selection) are errors that name the file and the key rather than a silently different
 * model.
 */
public final class PeftLoraFiles {
    /** The prefix PEFT puts before the base model's own module path. */
    public static final String KEY_PREFIX = "base_model.model.";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** As Python's {@code json.dumps(indent=2)}: {@code "key": value}, two-space indent. */
    private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withObjectEmptySeparator("").withArrayEmptySeparator(""))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n"));

    private PeftLoraFiles() {
    }

    /** {@code base_model.model.<module>.lora_A.weight}. */
    public static String keyA(String modulePath) {
        return KEY_PREFIX + modulePath + ".lora_A.weight";
    }

    /** {@code base_model.model.<module>.lora_B.weight}. */
    public static String keyB(String modulePath) {
        return KEY_PREFIX + modulePath + ".lora_B.weight";
    }

    /** {@code base_model.model.<module>.lora_magnitude_vector} (DoRA; PEFT drops the in-memory {@code .weight}). */
    public static String keyMagnitude(String modulePath) {
        return KEY_PREFIX + modulePath + ".lora_magnitude_vector";
    }

    /** What an adapter folder's {@code adapter_config.json} says. */
    public record AdapterConfigFile(LoraConfig config, String baseModelNameOrPath) {
    }

    // ------------------------------------------------------------------------------------------------ write

    /**
     * Writes {@code adapter_config.json} and {@code adapter_model.safetensors} into {@code dir} (created if needed),
     * each atomically; the weights first, so a folder with a new config always has matching weights.
     *
     * @param config          the configuration (its targets are written as given: a regular expression stays one)
     * @param resolvedTargets the {@code target_modules} list to record when the targets are {@code all}
     * @param layers          the adapted layers by module path, in model order
     */
    public static void write(Path dir, LoraConfig config, List<String> resolvedTargets,
                             Map<String, ? extends LoraModule> layers, String baseModelNameOrPath) throws IOException {
        write(dir, config, resolvedTargets, layers, Map.of(), baseModelNameOrPath);
    }

    /**
     * {@link #write(Path, LoraConfig, List, Map, String)} with DoRA magnitudes ({@code <module>.lora_magnitude_vector})
     * and the modules_to_save tensors ({@code base_model.model.<parameter name>}, full values).
     */
    public static void write(Path dir, LoraConfig config, List<String> resolvedTargets,
                             Map<String, ? extends LoraModule> layers, Map<String, INDArray> modulesToSave,
                             String baseModelNameOrPath) throws IOException {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, ? extends LoraModule> e : layers.entrySet()) {
            LoraModule l = e.getValue();
            tensors.put(keyA(e.getKey()), l.loraA().value());
            tensors.put(keyB(e.getKey()), l.loraB().value());
            l.magnitude().ifPresent(m -> tensors.put(keyMagnitude(e.getKey()), m.value()));
        }
        modulesToSave.forEach((name, v) -> tensors.put(KEY_PREFIX + name, v));
        writeTensors(dir, config, resolvedTargets, tensors, baseModelNameOrPath);
    }

    /** Writes an adapter folder from tensors already named by their PEFT keys (the weights first, then the config). */
    public static void writeTensors(Path dir, LoraConfig config, List<String> resolvedTargets,
                                    Map<String, INDArray> tensors, String baseModelNameOrPath) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        tensors.forEach((k, v) -> w.put(k, v, storageType(v)));
        w.write(dir.resolve(Adapters.WEIGHTS_FILE));
        AtomicFiles.writeString(dir.resolve(Adapters.CONFIG_FILE), configJson(config, resolvedTargets,
                baseModelNameOrPath));
    }

    private static SafeDType storageType(INDArray a) {
        return a.dataType() == DataType.DOUBLE ? SafeDType.F64 : SafeDType.F32;
    }

    /** The {@code adapter_config.json} text (keys sorted, two-space indent, trailing newline). */
    public static String configJson(LoraConfig config, List<String> resolvedTargets, String baseModelNameOrPath)
            throws JsonProcessingException {
        Map<String, Object> m = new TreeMap<>();
        m.put("auto_mapping", null);
        m.put("base_model_name_or_path", baseModelNameOrPath);
        m.put("bias", "none");
        m.put("fan_in_fan_out", false);
        m.put("inference_mode", true);
        m.put("init_lora_weights", config.initLoraWeights());
        m.put("layer_replication", null);
        m.put("layers_pattern", null);
        m.put("layers_to_transform", null);
        m.put("loftq_config", Map.of());
        m.put("lora_alpha", number(config.alpha()));
        m.put("lora_dropout", config.dropout());
        m.put("megatron_config", null);
        m.put("megatron_core", "megatron.core");
        m.put("modules_to_save", config.modulesToSave().isEmpty() ? null : config.modulesToSave());
        m.put("peft_type", "LORA");
        m.put("r", config.rank());
        m.put("rank_pattern", new LinkedHashMap<>(config.rankPattern()));
        m.put("revision", null);
        m.put("target_modules", targetModulesValue(config.targets(), resolvedTargets));
        m.put("task_type", "CAUSAL_LM");
        m.put("use_dora", config.useDora());
        m.put("use_rslora", config.useRslora());
        Map<String, Object> alphas = new LinkedHashMap<>();
        config.alphaPattern().forEach((k, v) -> alphas.put(k, number(v)));
        m.put("alpha_pattern", alphas);
        return JSON.writer(PRETTY).writeValueAsString(m) + "\n";
    }

    private static Object targetModulesValue(TargetModules t, List<String> resolved) {
        if (t instanceof TargetModules.Names n) {
            return n.names();
        }
        if (t instanceof TargetModules.Regex r) {
            return r.pattern();
        }
        return List.copyOf(new TreeSet<>(resolved));
    }

    private static Object number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? (Object) (long) v : (Object) v;
    }

    // ------------------------------------------------------------------------------------------------ read

    /** Reads {@code dir/adapter_config.json}; errors name the file and the key. */
    public static AdapterConfigFile readConfig(Path dir) throws IOException {
        Path file = dir.resolve(Adapters.CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(dir + " is not an adapter folder: it has no " + Adapters.CONFIG_FILE);
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"));
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file + ": expected a JSON object");
        }
        String type = text(root, "peft_type", file);
        if (!"LORA".equalsIgnoreCase(type)) {
            throw new CheckpointException(file + ": peft_type is \"" + type + "\", expected \"LORA\"");
        }
        JsonNode rNode = root.get("r");
        if (rNode == null || !rNode.canConvertToInt() || !rNode.isIntegralNumber() || rNode.asInt() < 1) {
            throw new CheckpointException(file + ": \"r\" must be a positive integer, got " + rNode);
        }
        int r = rNode.asInt();
        double alpha = root.hasNonNull("lora_alpha") ? numberValue(root.get("lora_alpha"), "lora_alpha", file) : 8;
        double dropout = root.hasNonNull("lora_dropout") ? numberValue(root.get("lora_dropout"), "lora_dropout", file)
                : 0;
        unsupported(root, file, "fan_in_fan_out", n -> n.asBoolean(false),
                "fan_in_fan_out (GPT-2 Conv1D) adapters do not apply to Llama-family models");
        unsupported(root, file, "bias", n -> !n.isNull() && !"none".equals(n.asText()),
                "only bias \"none\" is supported (trained biases are not loaded)");
        unsupported(root, file, "layers_to_transform", n -> !n.isNull() && !(n.isArray() && n.isEmpty()),
                "layers_to_transform is not supported yet");
        unsupported(root, file, "layer_replication", n -> !n.isNull(), "layer_replication is not supported");
        unsupported(root, file, "lora_bias", n -> n.asBoolean(false), "lora_bias is not supported yet");
        unsupported(root, file, "exclude_modules", n -> !n.isNull() && !(n.isArray() && n.isEmpty()),
                "exclude_modules is not supported yet");
        JsonNode t = root.get("target_modules");
        TargetModules targets;
        if (t == null || t.isNull()) {
            throw new CheckpointException(file + ": \"target_modules\" is missing; expected a list such as "
                    + "[\"q_proj\", \"v_proj\"]");
        } else if (t.isTextual()) {
            targets = t.asText().equals("all-linear") ? new TargetModules.AllLinear() : new TargetModules.Regex(t.asText());
        } else if (t.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode n : t) {
                if (!n.isTextual()) {
                    throw new CheckpointException(file + ": \"target_modules\" entries must be strings, got " + n);
                }
                names.add(n.asText());
            }
            if (names.isEmpty()) {
                throw new CheckpointException(file + ": \"target_modules\" is empty");
            }
            targets = new TargetModules.Names(names);
        } else {
            throw new CheckpointException(file + ": \"target_modules\" must be a list or a string, got " + t);
        }
        LoraInit init = LoraInit.DEFAULT;
        int pissaIter = 16;
        JsonNode in = root.get("init_lora_weights");
        if (in != null && !in.isNull()) {
            String text = in.asText();
            if (in.isBoolean()) {
                init = in.asBoolean() ? LoraInit.DEFAULT : LoraInit.RANDOM;
            } else if ("gaussian".equals(text)) {
                init = LoraInit.GAUSSIAN;
            } else if ("pissa".equals(text) || text.startsWith("pissa_niter_")) {
                // an unconverted PiSSA adapter works on the residual base: applying it recomputes the residual
                init = LoraInit.PISSA;
                if (!text.equals("pissa")) {
                    try {
                        pissaIter = Integer.parseInt(text.substring("pissa_niter_".length()));
                    } catch (NumberFormatException e) {
                        throw new CheckpointException(file + ": \"init_lora_weights\": \"" + text + "\" is not "
                                + "pissa_niter_<iterations>");
                    }
                }
            }
            // other inits (olora, loftq) only decide the starting weights, which are read from the file
        }
        List<String> modulesToSave = new ArrayList<>();
        JsonNode mts = root.get("modules_to_save");
        if (mts != null && !mts.isNull()) {
            if (!mts.isArray()) {
                throw new CheckpointException(file + ": \"modules_to_save\" must be a list of module names, got " + mts);
            }
            mts.forEach(n -> modulesToSave.add(n.asText()));
        }
        boolean dora = root.path("use_dora").asBoolean(false);
        Map<String, Integer> ranks = new LinkedHashMap<>();
        patterns(root, "rank_pattern", file).forEach((k, v) -> {
            if (!v.isIntegralNumber() || v.asInt() < 1) {
                throw new CheckpointException(file + ": rank_pattern[\"" + k + "\"] must be a positive integer, got " + v);
            }
            ranks.put(k, v.asInt());
        });
        Map<String, Double> alphas = new LinkedHashMap<>();
        patterns(root, "alpha_pattern", file).forEach((k, v) -> alphas.put(k, numberValue(v, "alpha_pattern[\"" + k
                + "\"]", file)));
        boolean rslora = root.path("use_rslora").asBoolean(false);
        String base = root.hasNonNull("base_model_name_or_path") ? root.get("base_model_name_or_path").asText() : null;
        try {
            return new AdapterConfigFile(new LoraConfig(r, alpha, dropout, targets, rslora, init, ranks, alphas, dora,
                    pissaIter, modulesToSave), base);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage());
        }
    }

    private static Map<String, JsonNode> patterns(JsonNode root, String key, Path file) {
        JsonNode n = root.get(key);
        Map<String, JsonNode> out = new LinkedHashMap<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isObject()) {
            throw new CheckpointException(file + ": \"" + key + "\" must be an object, got " + n);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    private static void unsupported(JsonNode root, Path file, String key, java.util.function.Predicate<JsonNode> bad,
                                    String why) {
        JsonNode n = root.get(key);
        if (n != null && bad.test(n)) {
            throw new CheckpointException(file + ": \"" + key + "\": " + n + " — " + why);
        }
    }

    private static String text(JsonNode root, String key, Path file) {
        JsonNode n = root.get(key);
        if (n == null || !n.isTextual()) {
            throw new CheckpointException(file + ": \"" + key + "\" is missing or not a string");
        }
        return n.asText();
    }

    private static double numberValue(JsonNode n, String key, Path file) {
        if (n == null || !n.isNumber()) {
            throw new CheckpointException(file + ": \"" + key + "\" must be a number, got " + n);
        }
        return n.asDouble();
    }

    /**
     * The LoRA tensors of {@code dir/adapter_model.safetensors} by PEFT key (PEFT's in-memory {@code .default} infix
     * removed), left in the file until read. The caller closes the returned file.
     */
    public static SafetensorsFile openWeights(Path dir) throws IOException {
        Path file = dir.resolve(Adapters.WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            if (Files.isRegularFile(dir.resolve("adapter_model.bin"))) {
                throw new CheckpointException(dir + ": adapter_model.bin (a pickle) cannot be read; save the adapter "
                        + "with safe_serialization=True (adapter_model.safetensors)");
            }
            throw new CheckpointException(dir + ": no " + Adapters.WEIGHTS_FILE);
        }
        return SafetensorsFile.open(file);
    }

    /** {@code key} with PEFT's in-memory adapter name ({@code .default}) removed. */
    static String normaliseKey(String key) {
        String k = key.replace(".lora_A.default.weight", ".lora_A.weight").replace(".lora_B.default.weight", ".lora_B.weight");
        for (String suffix : new String[] {".lora_magnitude_vector.default.weight", ".lora_magnitude_vector.weight",
                ".lora_magnitude_vector.default"}) {
            if (k.endsWith(suffix)) {
                return k.substring(0, k.length() - suffix.length()) + ".lora_magnitude_vector";
            }
        }
        return k;
    }
}
