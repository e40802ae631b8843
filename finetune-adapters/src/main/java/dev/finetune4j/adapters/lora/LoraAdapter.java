package dev.finetune4j.adapters.lora;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.checkpoint.CheckpointException;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.nn.AdaptableModel;
import dev.finetune4j.nn.Linear;
import dev.finetune4j.nn.Parameter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LoRA as an {@link Adapter}: wraps every target linear layer of a model in a {@link LoraLinear} and freezes every
 * base parameter.
 *
 * <pre>{@code
 * LoraAdapter lora = LoraAdapter.create(LoraConfig.of(8, 16, 0.05, "all"), seed);   // new, seeded
 * LoraAdapter lora = LoraAdapter.load(adapterDir, true, seed);                      // continue training a saved one
 * lora.apply(model);
 * optimizer over lora.trainableParameters(); ... lora.save(outDir, modelPath);
 * }</pre>
 *
 * <p>New weights are drawn from {@code seed} in model order (A then B per module); each layer's dropout generator is
 * seeded from {@code seed} too, so a run is reproducible.
 */
public final class LoraAdapter implements Adapter {
    private static final long DROPOUT_SEED_MIX = 0x9E3779B97F4A7C15L;

    private final LoraConfig config;
    private final long seed;
    private final boolean trainable;
    private final Path source; // the folder the weights come from, or null for new weights
    private final Map<String, LoraLinear> layers = new LinkedHashMap<>();
    private boolean applied;
    private boolean enabled = true;

    private LoraAdapter(LoraConfig config, long seed, boolean trainable, Path source) {
        this.config = config;
        this.seed = seed;
        this.trainable = trainable;
        this.source = source;
    }

    /** A new trainable adapter, initialised from {@code seed} as {@link LoraConfig#init()} says. */
    public static LoraAdapter create(LoraConfig config, long seed) {
        return new LoraAdapter(config, seed, true, null);
    }

    /**
     * The adapter saved in a PEFT folder; {@link #apply} copies its weights in.
     *
     * @param trainable continue training it (true) or keep it frozen (inference, merge)
     */
    public static LoraAdapter load(Path dir, boolean trainable, long seed) throws IOException {
        PeftLoraFiles.AdapterConfigFile f = PeftLoraFiles.readConfig(dir);
        try (SafetensorsFile ignored = PeftLoraFiles.openWeights(dir)) {
            // fail now, not at apply(), when the weights file is missing or unreadable
        }
        return new LoraAdapter(f.config(), seed, trainable, dir);
    }

    @Override
    public String method() {
        return LoraAdapterProvider.METHOD;
    }

    public LoraConfig config() {
        return config;
    }

    /** The folder the weights were loaded from, or null. */
    public Path source() {
        return source;
    }

    /** The wrapped layers by module path, in model order. */
    public Map<String, LoraLinear> layers() {
        return Collections.unmodifiableMap(layers);
    }

    @Override
    public void apply(AdaptableModel model) {
        if (applied) {
            throw new IllegalStateException("this LoRA adapter is applied already");
        }
        Map<String, Parameter> params = model.namedParameters();
        DataType dtype = params.values().stream().map(p -> p.value().dataType())
                .filter(t -> t == DataType.FLOAT || t == DataType.DOUBLE).findFirst().orElse(DataType.FLOAT);
        Map<String, Linear> linear = model.linearLayers();
        List<String> targets = new ArrayList<>();
        for (String name : linear.keySet()) {
            if (!(linear.get(name) instanceof LoraLinear) && config.targets().matches(name, isOutputLayer(name))) {
                targets.add(name);
            }
        }
        if (targets.isEmpty()) {
            Set<String> kinds = new TreeSet<>();
            linear.keySet().forEach(n -> kinds.add(n.substring(n.lastIndexOf('.') + 1)));
            throw new FineTuneException("LoRA target " + describe(config.targets()) + " matches no linear layer of the "
                    + "model; its layers are " + kinds + (source == null ? "" : " (adapter " + source + ")"));
        }
        params.values().forEach(p -> p.setTrainable(false));
        SplittableRandom init = new SplittableRandom(seed);
        SplittableRandom dropoutSeeds = new SplittableRandom(seed ^ DROPOUT_SEED_MIX);
        Map<String, LoraLinear> made = new LinkedHashMap<>();
        try (SafetensorsFile weights = source == null ? null : PeftLoraFiles.openWeights(source)) {
            Map<String, String> fileKeys = new LinkedHashMap<>();
            if (weights != null) {
                weights.tensors().keySet().forEach(k -> fileKeys.put(PeftLoraFiles.normaliseKey(k), k));
            }
            for (String path : targets) {
                Linear base = linear.get(path);
                int r = config.rankFor(path);
                double alpha = config.alphaFor(path);
                long dropoutSeed = dropoutSeeds.nextLong();
                LoraLinear l;
                if (weights == null) {
                    l = LoraLinear.create(base, r, alpha, config.useRslora(), config.dropout(), config.init(), dtype,
                            init, trainable, dropoutSeed);
                } else {
                    INDArray a = read(weights, fileKeys, PeftLoraFiles.keyA(path), new long[] {r, base.inFeatures()}, dtype);
                    INDArray b = read(weights, fileKeys, PeftLoraFiles.keyB(path), new long[] {base.outFeatures(), r}, dtype);
                    l = new LoraLinear(base, a, b, alpha, config.useRslora(), config.dropout(), trainable, dropoutSeed);
                }
                made.put(path, l);
            }
            if (weights != null) {
                List<String> unused = new ArrayList<>(fileKeys.keySet());
                for (String path : targets) {
                    unused.remove(PeftLoraFiles.keyA(path));
                    unused.remove(PeftLoraFiles.keyB(path));
                }
                if (!unused.isEmpty()) {
                    throw new CheckpointException(weights.path() + ": " + unused.size() + " tensor(s) belong to no "
                            + "targeted linear layer of this model (first: " + unused.get(0) + "); is the adapter "
                            + "for another base model?");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the adapter in " + source + ": " + e.getMessage(), e);
        }
        for (Map.Entry<String, LoraLinear> e : made.entrySet()) {
            LoraLinear l = e.getValue();
            l.setEnabled(enabled);
            model.replaceLinear(e.getKey(), current -> l);
            layers.put(e.getKey(), l);
        }
        applied = true;
    }

    private static INDArray read(SafetensorsFile weights, Map<String, String> fileKeys, String key, long[] shape,
                                 DataType dtype) throws IOException {
        String stored = fileKeys.get(key);
        if (stored == null) {
            throw new CheckpointException(weights.path() + ": tensor \"" + key + "\" is missing (the adapter config "
                    + "targets this layer)");
        }
        long[] fileShape = weights.info(stored).shape();
        if (!Arrays.equals(fileShape, shape)) {
            throw new CheckpointException(weights.path() + ": tensor \"" + key + "\" has shape "
                    + Arrays.toString(fileShape) + " but the layer needs " + Arrays.toString(shape)
                    + " (check r / rank_pattern and the base model)");
        }
        return weights.load(stored, dtype);
    }

    private static boolean isOutputLayer(String modulePath) {
        return modulePath.equals("lm_head");
    }

    private static String describe(TargetModules t) {
        if (t instanceof TargetModules.Names n) {
            return String.join(",", n.names());
        }
        if (t instanceof TargetModules.Regex r) {
            return "regex '" + r.pattern() + "'";
        }
        return "all";
    }

    @Override
    public List<String> targetModules() {
        return List.copyOf(layers.keySet());
    }

    /** The distinct last names of the wrapped modules, sorted ({@code q_proj, v_proj}): PEFT's resolved list. */
    public List<String> resolvedTargetNames() {
        Set<String> out = new TreeSet<>();
        layers.keySet().forEach(n -> out.add(n.substring(n.lastIndexOf('.') + 1)));
        return List.copyOf(out);
    }

    @Override
    public List<Parameter> trainableParameters() {
        return parameters().stream().filter(Parameter::trainable).toList();
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>(layers.size() * 2);
        for (LoraLinear l : layers.values()) {
            out.add(l.loraA());
            out.add(l.loraB());
        }
        return out;
    }

    @Override
    public void setEnabled(boolean on) {
        enabled = on;
        layers.values().forEach(l -> l.setEnabled(on));
    }

    @Override
    public void reseed(long seed) {
        int i = 0;
        for (LoraLinear l : layers.values()) {
            l.reseedDropout(seed * 0x9E3779B97F4A7C15L + i++);
        }
    }

    @Override
    public boolean enabled() {
        return enabled;
    }

    @Override
    public void save(Path dir, String baseModelNameOrPath) throws IOException {
        if (!applied) {
            throw new IllegalStateException("apply the adapter to a model before saving it");
        }
        PeftLoraFiles.write(dir, config, resolvedTargetNames(), layers, baseModelNameOrPath);
    }

    /**
     * Merges the adapter into {@code model}: every wrapped layer is replaced by a dense layer with
     * {@code W' = W + s·B·A} (the base's bias kept). The adapter is spent afterwards (its layers are no longer in the
     * model).
     */
    public void mergeInto(AdaptableModel model) {
        for (Map.Entry<String, LoraLinear> e : layers.entrySet()) {
            Linear merged = e.getValue().merged();
            model.replaceLinear(e.getKey(), current -> {
                if (current != e.getValue()) {
                    throw new IllegalStateException(e.getKey() + " is not wrapped by this adapter any more");
                }
                return merged;
            });
        }
        layers.clear();
    }

    @Override
    public String toString() {
        return "LoraAdapter[r=" + config.rank() + ", alpha=" + config.alpha() + ", targets=" + describe(config.targets())
                + ", layers=" + layers.size() + (source == null ? "" : ", from " + source) + "]";
    }
}
