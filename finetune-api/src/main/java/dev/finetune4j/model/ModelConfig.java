package dev.finetune4j.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.checkpoint.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The architecture of a decoder-only model as its HuggingFace {@code config.json} describes it (FORMATS.md §D.2),
 * normalised: derived values (head_dim, the Qwen2 q/k/v bias, Qwen3's q/k norm, per-layer sliding windows) are
 * resolved here so that the model code never looks at {@code model_type} again.
 *
 * @param modelType             {@code llama}, {@code qwen2}, {@code qwen3} or {@code mistral}
 * @param headDim               explicit {@code head_dim}, or {@code hidden_size / num_attention_heads}
 * @param ropeTheta             the RoPE base ({@code rope_theta}, or {@code rope_parameters.rope_theta})
 * @param ropeScaling           never null; {@link RopeScaling#NONE} when the config has none
 * @param qkvBias               bias on q/k/v ({@code attention_bias}; always for qwen2)
 * @param oBias                 bias on o_proj ({@code attention_bias} for llama/qwen3; never for qwen2)
 * @param mlpBias               bias on gate/up/down (llama's {@code mlp_bias})
 * @param qkNorm                RMSNorm over head_dim on q and k before RoPE (qwen3)
 * @param layerSlidingWindows   per layer: the sliding window (keys with {@code query - key < window}), 0 = full
 * @param bosTokenId            null when absent
 * @param eosTokenIds           {@code eos_token_id} as a list (an int becomes one entry); may be empty
 * @param padTokenId            null when absent
 * @param torchDtype            {@code torch_dtype} (or v5 {@code dtype}): the storage hint, e.g. {@code bfloat16}; may be null
 */
public record ModelConfig(String modelType, int vocabSize, int hiddenSize, int intermediateSize,
                          int numHiddenLayers, int numAttentionHeads, int numKeyValueHeads, int headDim,
                          double rmsNormEps, double ropeTheta, RopeScaling ropeScaling, int maxPositionEmbeddings,
                          boolean qkvBias, boolean oBias, boolean mlpBias, boolean qkNorm,
                          boolean tieWordEmbeddings, List<Integer> layerSlidingWindows, Integer bosTokenId,
                          List<Integer> eosTokenIds, Integer padTokenId, String torchDtype) {

    /** The {@code model_type}s this version runs. */
    public static final List<String> SUPPORTED_MODEL_TYPES = List.of("llama", "qwen2", "qwen3", "mistral");
    private static final List<String> PLANNED_MODEL_TYPES = List.of("gemma", "gemma2", "phi3");
    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelConfig {
        if (!SUPPORTED_MODEL_TYPES.contains(modelType)) {
            throw new IllegalArgumentException(unsupportedType(modelType));
        }
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("num_key_value_heads", numKeyValueHeads);
        positive("head_dim", headDim);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numAttentionHeads
                    + ") must be a multiple of num_key_value_heads (" + numKeyValueHeads + ")");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + headDim);
        }
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be > 0, got " + rmsNormEps);
        }
        if (!(ropeTheta > 0)) {
            throw new IllegalArgumentException("rope_theta must be > 0, got " + ropeTheta);
        }
        if (ropeScaling == null) {
            ropeScaling = RopeScaling.NONE;
        }
        if (layerSlidingWindows == null) {
            layerSlidingWindows = Collections.nCopies(numHiddenLayers, 0);
        }
        if (layerSlidingWindows.size() != numHiddenLayers) {
            throw new IllegalArgumentException("one sliding window per layer expected (" + numHiddenLayers + "), got "
                    + layerSlidingWindows.size());
        }
        layerSlidingWindows = List.copyOf(layerSlidingWindows);
        eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
    }

    private static void positive(String key, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(key + " must be > 0, got " + v);
        }
    }

    private static String unsupportedType(String modelType) {
        String supported = String.join(", ", SUPPORTED_MODEL_TYPES);
        if (modelType != null && PLANNED_MODEL_TYPES.contains(modelType)) {
            return "model_type \"" + modelType + "\" is not supported yet; supported: " + supported;
        }
        return "model_type " + (modelType == null ? "is missing" : "\"" + modelType + "\" is not supported")
                + "; supported: " + supported;
    }

    /** Number of query heads per key/value head (1 without grouped-query attention). */
    public int groupSize() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** The sliding window of layer {@code i}, 0 for full attention. */
    public int slidingWindow(int layer) {
        return layerSlidingWindows.get(layer);
    }

    /** Reads {@code dir/config.json}. Errors name the file and the key. */
    public static ModelConfig read(Path dir) throws IOException {
        Path file = Files.isDirectory(dir) ? dir.resolve("config.json") : dir;
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no config.json in the model folder");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"));
        }
        return fromJson(root, file.toString());
    }

    /** Parses a config.json tree; {@code where} (a file name) prefixes every error message. */
    public static ModelConfig fromJson(JsonNode d, String where) {
        if (d == null || !d.isObject()) {
            throw new CheckpointException(where + ": must be a JSON object");
        }
        try {
            return parse(d, where);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(where + ": " + e.getMessage());
        }
    }

    private static ModelConfig parse(JsonNode d, String where) {
        String mt = d.hasNonNull("model_type") ? d.get("model_type").asText() : null;
        if (!SUPPORTED_MODEL_TYPES.contains(mt)) {
            throw new IllegalArgumentException(unsupportedType(mt));
        }
        int vocab = requiredInt(d, "vocab_size");
        int hidden = requiredInt(d, "hidden_size");
        int inter = requiredInt(d, "intermediate_size");
        int layers = requiredInt(d, "num_hidden_layers");
        int heads = requiredInt(d, "num_attention_heads");
        int kv = d.hasNonNull("num_key_value_heads") ? requiredInt(d, "num_key_value_heads") : heads;
        int headDim;
        if (d.hasNonNull("head_dim") && d.get("head_dim").asInt() != 0) {
            headDim = requiredInt(d, "head_dim");
        } else {
            if (hidden % heads != 0) {
                throw new IllegalArgumentException("hidden_size (" + hidden + ") is not a multiple of "
                        + "num_attention_heads (" + heads + ") and there is no head_dim");
            }
            headDim = hidden / heads;
        }
        String act = d.hasNonNull("hidden_act") ? d.get("hidden_act").asText() : "silu";
        if (!act.equals("silu") && !act.equals("swish")) {
            throw new IllegalArgumentException("hidden_act \"" + act + "\" is not supported for " + mt + " (only silu)");
        }
        double prf = d.hasNonNull("partial_rotary_factor") ? number(d, "partial_rotary_factor") : 1.0;
        if (prf != 1.0) {
            throw new IllegalArgumentException("partial_rotary_factor " + prf + " is not supported (only 1.0)");
        }
        double eps = d.hasNonNull("rms_norm_eps") ? number(d, "rms_norm_eps") : 1e-6;

        // RoPE: transformers v5 writes rope_parameters {rope_theta, rope_type, ...}; older files rope_theta + rope_scaling
        double theta;
        JsonNode scaling;
        String scalingKey;
        JsonNode rp = d.get("rope_parameters");
        if (rp != null && rp.isObject() && rp.has("rope_theta")) {
            theta = number(rp, "rope_theta");
            scaling = rp;
            scalingKey = "rope_parameters";
        } else {
            theta = d.hasNonNull("rope_theta") ? number(d, "rope_theta") : 10000.0;
            scaling = d.get("rope_scaling");
            scalingKey = "rope_scaling";
        }
        RopeScaling rope = parseRopeScaling(scaling, scalingKey);
        int maxPos = d.hasNonNull("max_position_embeddings") ? requiredInt(d, "max_position_embeddings") : 2048;

        boolean attentionBias = bool(d, "attention_bias", false);
        boolean qkvBias;
        boolean oBias;
        switch (mt) {
            case "qwen2" -> {
                qkvBias = true; // hard-wired in Qwen2Attention, no config key
                oBias = false;
            }
            case "llama", "qwen3" -> {
                qkvBias = attentionBias;
                oBias = attentionBias;
            }
            default -> {
                qkvBias = false;
                oBias = false;
            }
        }
        boolean mlpBias = mt.equals("llama") && bool(d, "mlp_bias", false);
        boolean qkNorm = mt.equals("qwen3");
        boolean tie = bool(d, "tie_word_embeddings", false);

        List<Integer> windows = new ArrayList<>(Collections.nCopies(layers, 0));
        int sw = d.hasNonNull("sliding_window") ? requiredInt(d, "sliding_window") : 0;
        if (mt.equals("mistral") && sw > 0) {
            Collections.fill(windows, sw);
        } else if ((mt.equals("qwen2") || mt.equals("qwen3")) && bool(d, "use_sliding_window", false) && sw > 0) {
            JsonNode types = d.get("layer_types");
            int mwl = d.hasNonNull("max_window_layers") ? requiredInt(d, "max_window_layers") : layers;
            for (int i = 0; i < layers; i++) {
                boolean sliding = types != null && types.isArray() && types.size() == layers
                        ? types.get(i).asText().equals("sliding_attention") : i >= mwl;
                windows.set(i, sliding ? sw : 0);
            }
        }
        Integer bos = d.hasNonNull("bos_token_id") ? requiredInt(d, "bos_token_id") : null;
        List<Integer> eos = intOrList(d, "eos_token_id");
        Integer pad = d.hasNonNull("pad_token_id") ? requiredInt(d, "pad_token_id") : null;
        String dtype = d.hasNonNull("torch_dtype") ? d.get("torch_dtype").asText()
                : d.hasNonNull("dtype") ? d.get("dtype").asText() : null;
        return new ModelConfig(mt, vocab, hidden, inter, layers, heads, kv, headDim, eps, theta, rope, maxPos,
                qkvBias, oBias, mlpBias, qkNorm, tie, windows, bos, eos, pad, dtype);
    }

    private static RopeScaling parseRopeScaling(JsonNode s, String key) {
        if (s == null || s.isNull()) {
            return RopeScaling.NONE;
        }
        if (!s.isObject()) {
            throw new IllegalArgumentException(key + " must be an object or null");
        }
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asText()
                : s.hasNonNull("type") ? s.get("type").asText() : "default";
        if (!RopeScaling.SUPPORTED_TYPES.contains(type)) {
            throw new IllegalArgumentException(key + ": rope type \"" + type + "\" is not supported; supported: "
                    + String.join(", ", RopeScaling.SUPPORTED_TYPES));
        }
        return switch (type) {
            case "linear" -> RopeScaling.linear(number(s, "factor", key));
            case "llama3" -> RopeScaling.llama3(number(s, "factor", key), number(s, "low_freq_factor", key),
                    number(s, "high_freq_factor", key), requiredInt(s, "original_max_position_embeddings", key));
            default -> RopeScaling.NONE;
        };
    }

    private static int requiredInt(JsonNode d, String key) {
        return requiredInt(d, key, null);
    }

    private static int requiredInt(JsonNode d, String key, String parent) {
        String name = parent == null ? key : parent + "." + key;
        JsonNode v = d.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing \"" + name + "\"");
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("\"" + name + "\" must be an integer, got " + v);
        }
        return v.asInt();
    }

    private static double number(JsonNode d, String key) {
        return number(d, key, null);
    }

    private static double number(JsonNode d, String key, String parent) {
        String name = parent == null ? key : parent + "." + key;
        JsonNode v = d.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing \"" + name + "\"");
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException("\"" + name + "\" must be a number, got " + v);
        }
        return v.asDouble();
    }

    private static boolean bool(JsonNode d, String key, boolean dflt) {
        JsonNode v = d.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException("\"" + key + "\" must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    private static List<Integer> intOrList(JsonNode d, String key) {
        JsonNode v = d.get(key);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (v.isArray()) {
            List<Integer> out = new ArrayList<>();
            for (JsonNode x : v) {
                if (!x.isIntegralNumber()) {
                    throw new IllegalArgumentException("\"" + key + "\" must be an integer or a list of integers, got " + v);
                }
                out.add(x.asInt());
            }
            return out;
        }
        return List.of(requiredInt(d, key));
    }

    /**
     * This configuration as a HuggingFace {@code config.json} of its family (the keys transformers writes),
     * used by the tiny-model writer.
     */
    public ObjectNode toJson() {
        ObjectNode d = JSON.createObjectNode();
        String arch = switch (modelType) {
            case "llama" -> "LlamaForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            case "qwen3" -> "Qwen3ForCausalLM";
            default -> "MistralForCausalLM";
        };
        d.putArray("architectures").add(arch);
        d.put("model_type", modelType);
        d.put("hidden_size", hiddenSize);
        d.put("intermediate_size", intermediateSize);
        d.put("num_hidden_layers", numHiddenLayers);
        d.put("num_attention_heads", numAttentionHeads);
        d.put("num_key_value_heads", numKeyValueHeads);
        d.put("head_dim", headDim);
        d.put("hidden_act", "silu");
        d.put("rms_norm_eps", rmsNormEps);
        d.put("rope_theta", ropeTheta);
        if (ropeScaling.isDefault()) {
            d.putNull("rope_scaling");
        } else {
            ObjectNode s = d.putObject("rope_scaling");
            s.put("rope_type", ropeScaling.type());
            s.put("factor", ropeScaling.factor());
            if (ropeScaling.type().equals("llama3")) {
                s.put("low_freq_factor", ropeScaling.lowFreqFactor());
                s.put("high_freq_factor", ropeScaling.highFreqFactor());
                s.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            }
        }
        d.put("max_position_embeddings", maxPositionEmbeddings);
        d.put("vocab_size", vocabSize);
        d.put("tie_word_embeddings", tieWordEmbeddings);
        if (torchDtype != null) {
            d.put("torch_dtype", torchDtype);
        }
        if (bosTokenId != null) {
            d.put("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            d.put("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            ArrayNode a = d.putArray("eos_token_id");
            eosTokenIds.forEach(a::add);
        }
        if (padTokenId != null) {
            d.put("pad_token_id", padTokenId);
        }
        d.put("initializer_range", 0.02);
        d.put("attention_dropout", 0.0);
        d.put("use_cache", true);
        int window = layerSlidingWindows.stream().mapToInt(Integer::intValue).max().orElse(0);
        switch (modelType) {
            case "llama" -> {
                d.put("attention_bias", qkvBias);
                d.put("mlp_bias", mlpBias);
                d.put("pretraining_tp", 1);
            }
            case "qwen2", "qwen3" -> {
                if (modelType.equals("qwen3")) {
                    d.put("attention_bias", qkvBias);
                }
                boolean any = window > 0;
                d.put("use_sliding_window", any);
                if (any) {
                    d.put("sliding_window", window);
                    int first = layerSlidingWindows.indexOf(window);
                    d.put("max_window_layers", first);
                } else {
                    d.putNull("sliding_window");
                    d.put("max_window_layers", numHiddenLayers);
                }
            }
            default -> {
                if (window > 0) {
                    d.put("sliding_window", window);
                } else {
                    d.putNull("sliding_window");
                }
            }
        }
        d.put("transformers_version", "4.51.0");
        return d;
    }

    /** A short description for logs, e.g. {@code qwen2 24L h896 14/2 heads d64 i4864 v151936 tied}. */
    public String describe() {
        return String.format(Locale.ROOT, "%s %dL h%d %d/%d heads d%d i%d v%d%s", modelType, numHiddenLayers,
                hiddenSize, numAttentionHeads, numKeyValueHeads, headDim, intermediateSize, vocabSize,
                tieWordEmbeddings ? " tied" : "");
    }

    /** A builder with the family's defaults (what the tiny-model writer and benchmarks use). */
    public static Builder builder(String modelType) {
        return new Builder(modelType);
    }

    /** Builds a {@link ModelConfig} from sizes; {@link #build()} validates. */
    public static final class Builder {
        private final String modelType;
        private int hidden = 64;
        private int layers = 2;
        private int heads = 4;
        private int kvHeads = 2;
        private int headDim;
        private int intermediate = 128;
        private int vocab = 512;
        private double rmsNormEps = 1e-6;
        private Double ropeTheta;
        private RopeScaling ropeScaling = RopeScaling.NONE;
        private int maxPositionEmbeddings = 2048;
        private boolean attentionBias;
        private boolean mlpBias;
        private Boolean tie;
        private int slidingWindow;
        private Integer bos;
        private List<Integer> eos = List.of();
        private Integer pad;
        private String torchDtype = "float32";

        private Builder(String modelType) {
            if (!SUPPORTED_MODEL_TYPES.contains(modelType)) {
                throw new IllegalArgumentException(unsupportedType(modelType));
            }
            this.modelType = modelType;
        }

        public Builder hidden(int v) { hidden = v; return this; }
        public Builder layers(int v) { layers = v; return this; }
        public Builder heads(int v) { heads = v; return this; }
        public Builder kvHeads(int v) { kvHeads = v; return this; }
        /** 0 (default) derives hidden / heads. */
        public Builder headDim(int v) { headDim = v; return this; }
        public Builder intermediate(int v) { intermediate = v; return this; }
        public Builder vocab(int v) { vocab = v; return this; }
        public Builder rmsNormEps(double v) { rmsNormEps = v; return this; }
        /** Default: 500000 for llama, 1e6 for the others. */
        public Builder ropeTheta(double v) { ropeTheta = v; return this; }
        public Builder ropeScaling(RopeScaling v) { ropeScaling = v; return this; }
        public Builder maxPositionEmbeddings(int v) { maxPositionEmbeddings = v; return this; }
        /** llama and qwen3: bias on q, k, v and o (qwen2 always has q/k/v bias). */
        public Builder attentionBias(boolean v) { attentionBias = v; return this; }
        /** llama only. */
        public Builder mlpBias(boolean v) { mlpBias = v; return this; }
        /** Default: tied for qwen2/qwen3, untied for llama/mistral. */
        public Builder tieWordEmbeddings(boolean v) { tie = v; return this; }
        /** mistral: every layer; qwen2/qwen3: every layer with use_sliding_window. 0 = none. */
        public Builder slidingWindow(int v) { slidingWindow = v; return this; }
        public Builder bosTokenId(Integer v) { bos = v; return this; }
        public Builder eosTokenIds(List<Integer> v) { eos = List.copyOf(v); return this; }
        public Builder padTokenId(Integer v) { pad = v; return this; }
        public Builder torchDtype(String v) { torchDtype = v; return this; }

        public ModelConfig build() {
            if (mlpBias && !modelType.equals("llama")) {
                throw new IllegalArgumentException("mlp_bias exists only for llama, not " + modelType);
            }
            if (attentionBias && !(modelType.equals("llama") || modelType.equals("qwen3"))) {
                throw new IllegalArgumentException("attention_bias is a llama/qwen3 option (qwen2 always has q/k/v bias)");
            }
            if (slidingWindow > 0 && modelType.equals("llama")) {
                throw new IllegalArgumentException("llama has no sliding window");
            }
            int hd = headDim > 0 ? headDim : hidden / Math.max(1, heads);
            double theta = ropeTheta != null ? ropeTheta : modelType.equals("llama") ? 500000.0 : 1000000.0;
            boolean tied = tie != null ? tie : modelType.startsWith("qwen");
            boolean qkv = modelType.equals("qwen2") || attentionBias;
            boolean o = attentionBias;
            return new ModelConfig(modelType, vocab, hidden, intermediate, layers, heads, kvHeads, hd, rmsNormEps,
                    theta, ropeScaling, maxPositionEmbeddings, qkv, o, mlpBias, modelType.equals("qwen3"), tied,
                    Collections.nCopies(layers, Math.max(0, slidingWindow)), bos, eos, pad, torchDtype);
        }
    }
}
