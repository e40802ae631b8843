package dev.finetune4j.adapters.lora;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.checkpoint.CheckpointException;
import dev.finetune4j.checkpoint.SafeDType;
import dev.finetune4j.checkpoint.SafetensorsCheckpoint;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.model.HfModelFolder;
import dev.finetune4j.nn.Gemm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges a PEFT LoRA adapter into its base model and writes a plain HuggingFace checkpoint folder (what
 * {@code finetune export} does): every adapted weight becomes {@code W' = W + s·B·A} (s = α/r, or α/√r with rsLoRA,
 * per-module r/α from the patterns); with DoRA {@code W' = diag(m / ‖W + s·B·A‖_row)·(W + s·B·A)}; an unconverted
 * PiSSA adapter is merged into the residual {@code W − s·B₀·A₀} it was trained on (recomputed as training did);
 * modules_to_save tensors replace the base's; every other tensor is copied unchanged. The weights are written in the base's
 * storage type ({@code torch_dtype} of config.json: float32, bfloat16 or float16) with
 * {@link SafetensorsCheckpoint#writeSharded}; config.json, generation_config.json and the tokenizer files are copied.
 *
 * <p>Memory: the whole model is held once in FLOAT while it is written.
 */
public final class LoraMerge {
    private static final Logger LOG = LoggerFactory.getLogger(LoraMerge.class);

    /** HuggingFace's default {@code max_shard_size} ("5GB"). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    /** The files besides the weights that make a model folder usable (copied when present). */

    private LoraMerge() {
    }

    /** What an export wrote. */
    public record Result(Path dir, SafeDType dtype, List<String> mergedModules, int tensors) {
    }

    /** {@link #export(Path, Path, Path, long)} with HF's 5 GB shards. */
    public static Result export(Path modelDir, Path adapterDir, Path outDir) throws IOException {
        return export(modelDir, adapterDir, outDir, DEFAULT_MAX_SHARD_BYTES);
    }

    /**
     * Writes {@code outDir} = {@code modelDir} with the adapter of {@code adapterDir} merged in.
     *
     * @throws FineTuneException if a folder is missing, {@code outDir} already holds weights or is the model folder,
     *                           or the adapter does not fit the model (the message names the file and tensor)
     */
    public static Result export(Path modelDir, Path adapterDir, Path outDir, long maxShardBytes) throws IOException {
        if (!Files.isRegularFile(modelDir.resolve("config.json")) || !SafetensorsCheckpoint.isPresent(modelDir)) {
            throw new FineTuneException(modelDir + " is not a model folder: it needs config.json and safetensors weights");
        }
        if (Files.exists(outDir) && Files.isSameFile(outDir, modelDir)) {
            throw new FineTuneException("the export folder " + outDir + " is the model folder; choose another one");
        }
        if (Files.isDirectory(outDir)) {
            try (Stream<Path> s = Files.list(outDir)) {
                List<String> weights = s.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".safetensors") || n.equals(SafetensorsCheckpoint.INDEX_FILE)).toList();
                if (!weights.isEmpty()) {
                    throw new FineTuneException("the export folder " + outDir + " already holds weights (" + weights.get(0)
                            + "); choose an empty folder or remove them");
                }
            }
        }
        PeftLoraFiles.AdapterConfigFile adapter = PeftLoraFiles.readConfig(adapterDir);
        LoraConfig config = adapter.config();
        SafeDType dtype = HfModelFolder.storageType(modelDir);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        List<String> merged = new ArrayList<>();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(modelDir);
             SafetensorsFile weights = PeftLoraFiles.openWeights(adapterDir)) {
            Map<String, String[]> modules = adapterModules(weights, ckpt.names());
            for (String name : ckpt.names()) {
                if (!ckpt.info(name).dtype().isConvertibleFloat()) {
                    throw new CheckpointException(modelDir + ": tensor \"" + name + "\" has dtype " + ckpt.info(name).dtype()
                            + "; only floating checkpoints can be exported");
                }
                tensors.put(name, ckpt.load(name, DataType.FLOAT));
            }
            if (dtype == null) {
                dtype = ckpt.info(ckpt.names().iterator().next()).dtype();
            }
            for (Map.Entry<String, String[]> e : modules.entrySet()) {
                String module = e.getKey();
                String weightName = module + ".weight";
                INDArray w = tensors.get(weightName);
                if (w == null) {
                    throw new CheckpointException(weights.path() + ": the adapter changes \"" + module
                            + "\" but the model has no tensor \"" + weightName + "\"; is it for another base model?");
                }
                INDArray a = weights.load(e.getValue()[0], DataType.FLOAT);
                INDArray b = weights.load(e.getValue()[1], DataType.FLOAT);
                int r = (int) a.size(0);
                if (a.rank() != 2 || b.rank() != 2 || b.size(1) != r || a.size(1) != w.size(1) || b.size(0) != w.size(0)) {
                    throw new CheckpointException(weights.path() + ": \"" + e.getValue()[0] + "\" " + Arrays.toString(a.shape())
                            + " and \"" + e.getValue()[1] + "\" " + Arrays.toString(b.shape()) + " do not fit \"" + weightName
                            + "\" " + Arrays.toString(w.shape()) + " (A [r, in], B [out, r])");
                }
                if (r != config.rankFor(module)) {
                    throw new CheckpointException(weights.path() + ": \"" + e.getValue()[0] + "\" has rank " + r
                            + " but adapter_config.json gives " + config.rankFor(module) + " for " + module);
                }
                double s = config.scalingFor(module);
                if (config.init() == LoraInit.PISSA) {
                    PissaInit.Factors f = PissaInit.of(w, r, s, config.pissaIter(), LoraAdapter.pissaSeed(module));
                    Gemm.gemm(f.b(), f.a(), w, false, false, -s, 1.0);   // the residual the adapter trained on
                }
                Gemm.gemm(b, a, w, false, false, s, 1.0);   // W += s·B·A
                String magnitudeKey = e.getValue()[2];
                if (config.useDora() != (magnitudeKey != null)) {
                    throw new CheckpointException(weights.path() + ": " + module + (magnitudeKey == null
                            ? " has no lora_magnitude_vector although use_dora is true"
                            : " has a lora_magnitude_vector although use_dora is false"));
                }
                if (magnitudeKey != null) {
                    INDArray m = weights.load(magnitudeKey, DataType.FLOAT).reshape(w.size(0), 1);
                    w.muliColumnVector(m.div(w.norm2(1).reshape(w.size(0), 1)));   // DoRA: rows rescaled to m
                }
                merged.add(module);
            }
            for (String key : weights.tensors().keySet()) {
                String k = PeftLoraFiles.normaliseKey(key);
                String name = k.substring(PeftLoraFiles.KEY_PREFIX.length());
                if (!isAdapterKey(k) && tensors.containsKey(name)) {    // modules_to_save: the trained tensor
                    INDArray v = weights.load(key, DataType.FLOAT);
                    if (!Arrays.equals(v.shape(), tensors.get(name).shape())) {
                        throw new CheckpointException(weights.path() + ": \"" + key + "\" has shape "
                                + Arrays.toString(v.shape()) + " but the model's " + name + " is "
                                + Arrays.toString(tensors.get(name).shape()));
                    }
                    tensors.put(name, v);
                    merged.add(name);
                }
            }
        }
        Files.createDirectories(outDir);
        SafetensorsCheckpoint.writeSharded(outDir, tensors, dtype, maxShardBytes);
        HfModelFolder.copyMetadata(modelDir, outDir);
        LOG.info("merged {} LoRA modules of {} into {} ({}, {} tensors)", merged.size(), adapterDir, outDir, dtype,
                tensors.size());
        return new Result(outDir, dtype, List.copyOf(merged), tensors.size());
    }

    private static boolean isAdapterKey(String k) {
        return k.endsWith(".lora_A.weight") || k.endsWith(".lora_B.weight") || k.endsWith(".lora_magnitude_vector");
    }

    /**
     * module path → {A key, B key, magnitude key or null} of the adapter file; every module needs A and B. Other
     * tensors must be modules_to_save tensors, named as a tensor of the model.
     */
    private static Map<String, String[]> adapterModules(SafetensorsFile weights, java.util.Collection<String> model) {
        Map<String, String[]> out = new LinkedHashMap<>();
        for (String key : weights.tensors().keySet()) {
            String k = PeftLoraFiles.normaliseKey(key);
            if (!k.startsWith(PeftLoraFiles.KEY_PREFIX)) {
                throw new CheckpointException(weights.path() + ": tensor \"" + key + "\" does not start with "
                        + PeftLoraFiles.KEY_PREFIX);
            }
            String rest = k.substring(PeftLoraFiles.KEY_PREFIX.length());
            int slot;
            String suffix;
            if (k.endsWith(".lora_A.weight")) {
                slot = 0;
                suffix = ".lora_A.weight";
            } else if (k.endsWith(".lora_B.weight")) {
                slot = 1;
                suffix = ".lora_B.weight";
            } else if (k.endsWith(".lora_magnitude_vector")) {
                slot = 2;
                suffix = ".lora_magnitude_vector";
            } else if (model.contains(rest)) {
                continue;   // modules_to_save
            } else {
                throw new CheckpointException(weights.path() + ": tensor \"" + key + "\" is neither a LoRA / DoRA "
                        + "weight nor a tensor of the model (biases and embedding LoRA are not supported by export)");
            }
            String module = rest.substring(0, rest.length() - suffix.length());
            out.computeIfAbsent(module, m -> new String[3])[slot] = key;
        }
        for (Map.Entry<String, String[]> e : out.entrySet()) {
            if (e.getValue()[0] == null || e.getValue()[1] == null) {
                throw new CheckpointException(weights.path() + ": tensor \"" + (e.getValue()[0] == null
                        ? PeftLoraFiles.keyA(e.getKey()) : PeftLoraFiles.keyB(e.getKey())) + "\" is missing");
            }
        }
        if (out.isEmpty() && weights.tensors().isEmpty()) {
            throw new CheckpointException(weights.path() + ": no LoRA tensors");
        }
        return out;
    }
}
