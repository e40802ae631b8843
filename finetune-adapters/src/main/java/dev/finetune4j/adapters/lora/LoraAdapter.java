package dev.finetune4j.adapters.lora;

import dev.finetune4j.FineTuneException;
import dev.finetune4j.adapter.Adapter;
import dev.finetune4j.adapter.Adapters;
import dev.finetune4j.checkpoint.CheckpointException;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.config.MethodSettings;
import dev.finetune4j.nn.AdaptableModel;
import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.Gemm;
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
import org.nd4j.linalg.factory.Nd4j;

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
    private final Map<String, LoraModule> layers = new LinkedHashMap<>();
    /** modules_to_save parameters by name, and the value not in use (the original while enabled, else the trained). */
    private final Map<String, Parameter> saved = new LinkedHashMap<>();
    private final Map<Parameter, INDArray> savedOther = new java.util.IdentityHashMap<>();
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

    /** The wrapped layers (LoRA or DoRA) by module path, in model order. */
    public Map<String, LoraModule> layers() {
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
            if (!(linear.get(name) instanceof LoraModule) && config.targets().matches(name, isOutputLayer(name))) {
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
        Map<String, LoraModule> made = new LinkedHashMap<>();
        Map<String, Parameter> toSave = modulesToSave(params, linear, targets);
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
                INDArray a;
                INDArray b;
                INDArray magnitude = null;
                PissaInit.Factors pissa = null;
                if (config.init() == LoraInit.PISSA) {
                    // the base becomes the residual W − s·B₀·A₀, whether the adapter is new or read from a file
                    // (PEFT re-initialises a PiSSA adapter on load too); the SVD's seed depends on the module only,
                    // so training, resuming and loading compute the same residual
                    Parameter w = denseBase(base, "PiSSA").weight().parameter().orElseThrow(() ->
                            new FineTuneException(path + ": PiSSA needs the full-precision base weight, not a "
                                    + "quantized one: remove quantization_bit or pissa_init"));
                    double s = config.scalingFor(path);
                    pissa = PissaInit.of(w.value(), r, s, config.pissaIter(), pissaSeed(path));
                    Gemm.gemm(pissa.b(), pissa.a(), w.value(), false, false, -s, 1.0);
                }
                if (weights == null) {
                    if (pissa != null) {
                        a = pissa.a().castTo(dtype).dup();
                        b = pissa.b().castTo(dtype).dup();
                    } else {
                        LoraLinear fresh = LoraLinear.create(base, r, alpha, config.useRslora(), config.dropout(),
                                config.init(), dtype, init, trainable, dropoutSeed);
                        a = fresh.loraA().value();
                        b = fresh.loraB().value();
                    }
                } else {
                    a = read(weights, fileKeys, PeftLoraFiles.keyA(path), new long[] {r, base.inFeatures()}, dtype);
                    b = read(weights, fileKeys, PeftLoraFiles.keyB(path), new long[] {base.outFeatures(), r}, dtype);
                    if (config.useDora()) {
                        magnitude = read(weights, fileKeys, PeftLoraFiles.keyMagnitude(path),
                                new long[] {base.outFeatures()}, dtype);
                    }
                }
                LoraModule l = config.useDora()
                        ? new DoraLinear(denseBase(base, "DoRA"), a, b, magnitude, alpha, config.useRslora(),
                                config.dropout(), trainable, dropoutSeed)
                        : new LoraLinear(base, a, b, alpha, config.useRslora(), config.dropout(), trainable,
                                dropoutSeed);
                made.put(path, l);
            }
            for (Parameter p : toSave.values()) {
                if (weights != null) {
                    INDArray v = read(weights, fileKeys, PeftLoraFiles.KEY_PREFIX + p.name(), p.value().shape(),
                            p.value().dataType());
                    savedOther.put(p, p.value().dup());
                    p.setValue(v);
                } else {
                    savedOther.put(p, p.value().dup());
                }
            }
            if (weights != null) {
                List<String> unused = new ArrayList<>(fileKeys.keySet());
                for (String path : targets) {
                    unused.remove(PeftLoraFiles.keyA(path));
                    unused.remove(PeftLoraFiles.keyB(path));
                    unused.remove(PeftLoraFiles.keyMagnitude(path));
                }
                toSave.keySet().forEach(n -> unused.remove(PeftLoraFiles.KEY_PREFIX + n));
                if (!unused.isEmpty()) {
                    throw new CheckpointException(weights.path() + ": " + unused.size() + " tensor(s) belong to no "
                            + "targeted linear layer of this model (first: " + unused.get(0) + "); is the adapter "
                            + "for another base model?");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the adapter in " + source + ": " + e.getMessage(), e);
        }
        for (Map.Entry<String, LoraModule> e : made.entrySet()) {
            LoraModule l = e.getValue();
            l.setEnabled(enabled);
            model.replaceLinear(e.getKey(), current -> l);
            layers.put(e.getKey(), l);
        }
        toSave.values().forEach(p -> p.setTrainable(trainable));
        saved.putAll(toSave);
        applied = true;
    }

    /** The randomized SVD's seed of a module: fixed by its path, so every run computes the same PiSSA residual. */
    static long pissaSeed(String modulePath) {
        return modulePath.hashCode() * 0x9E3779B97F4A7C15L + 17;
    }

    private static DenseLinear denseBase(Linear base, String what) {
        if (base instanceof DenseLinear d) {
            return d;
        }
        throw new FineTuneException(base.name() + ": " + what + " needs a plain linear base layer, not "
                + base.getClass().getSimpleName());
    }

    /**
     * The parameters of the modules_to_save: every parameter of a module whose path equals a listed name or ends with
     * {@code "." + name} (PEFT's rule). A name that matches nothing, or a layer LoRA already wraps, is an error.
     */
    private Map<String, Parameter> modulesToSave(Map<String, Parameter> params, Map<String, Linear> linear,
                                                 List<String> targets) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (String module : config.modulesToSave()) {
            boolean found = false;
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                String name = e.getKey();
                int dot = name.lastIndexOf('.');
                String path = dot < 0 ? name : name.substring(0, dot);
                if (path.equals(module) || path.endsWith("." + module)) {
                    if (targets.contains(path)) {
                        throw new FineTuneException("additional_target / modules_to_save '" + module + "' names "
                                + path + ", which lora_target already adapts; list it in one of them only");
                    }
                    out.put(name, e.getValue());
                    found = true;
                }
            }
            if (!found) {
                Set<String> names = new TreeSet<>();
                params.keySet().forEach(n -> {
                    if (!n.matches(".*\\.\\d+\\..*")) {
                        String path = n.substring(0, Math.max(0, n.lastIndexOf('.')));
                        names.add(path.substring(path.lastIndexOf('.') + 1));
                    }
                });
                throw new FineTuneException("additional_target / modules_to_save '" + module + "' matches no module "
                        + "of the model; e.g. " + names + (linear.containsKey("lm_head") ? ""
                        : " (lm_head is tied to embed_tokens in this model)"));
            }
        }
        return out;
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
        List<Parameter> out = new ArrayList<>(layers.size() * 2 + saved.size());
        for (LoraModule l : layers.values()) {
            out.add(l.loraA());
            out.add(l.loraB());
            l.magnitude().ifPresent(out::add);
        }
        out.addAll(saved.values());
        return out;
    }

    @Override
    public void setEnabled(boolean on) {
        if (on != enabled) {
            // modules_to_save: the trained copy while enabled, the original while disabled (PEFT's wrapper)
            for (Parameter p : saved.values()) {
                INDArray other = savedOther.get(p);
                savedOther.put(p, p.value());
                p.setValue(other);
            }
        }
        enabled = on;
        layers.values().forEach(l -> l.setEnabled(on));
    }

    @Override
    public void reseed(long seed) {
        int i = 0;
        for (LoraModule l : layers.values()) {
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
        PeftLoraFiles.write(dir, config, resolvedTargetNames(), layers, trainedSaved(), baseModelNameOrPath);
    }

    /** LLaMA-Factory's PiSSA folders under the output folder. */
    public static final String PISSA_INIT = "pissa_init";
    public static final String PISSA_BACKUP = "pissa_backup";
    public static final String PISSA_CONVERTED = "pissa_converted";

    /** With {@code pissa_convert}: the initial PiSSA adapter goes to {@code pissa_init/} (as LF's callback). */
    @Override
    public void beforeTraining(Path outputDir, String baseModelNameOrPath, MethodSettings method, boolean resumed)
            throws IOException {
        if (config.init() == LoraInit.PISSA && method.pissaConvert() && !resumed) {
            PeftLoraFiles.write(outputDir.resolve(PISSA_INIT), config.withInit(LoraInit.DEFAULT), resolvedTargetNames(),
                    layers, trainedSaved(), baseModelNameOrPath);
        }
    }

    /**
     * With {@code pissa_convert}: the trained adapter is kept in {@code pissa_backup/} and its conversion to a plain
     * LoRA adapter of the original base is written to {@code pissa_converted/} ({@link #saveConvertedPissa}).
     */
    @Override
    public void afterTraining(Path outputDir, String baseModelNameOrPath, MethodSettings method) throws IOException {
        if (config.init() == LoraInit.PISSA && method.pissaConvert()) {
            PeftLoraFiles.write(outputDir.resolve(PISSA_BACKUP), config.withInit(LoraInit.DEFAULT),
                    resolvedTargetNames(), layers, trainedSaved(), baseModelNameOrPath);
            Path initial = outputDir.resolve(PISSA_INIT);
            if (!java.nio.file.Files.isDirectory(initial) && source != null && source.getParent() != null
                    && java.nio.file.Files.isDirectory(source.getParent().resolve(PISSA_INIT))) {
                initial = source.getParent().resolve(PISSA_INIT);   // resumed into another folder: the first run's
            }
            saveConvertedPissa(outputDir.resolve(PISSA_CONVERTED), initial, baseModelNameOrPath);
        }
    }

    /**
     * Writes this (PiSSA-initialised, trained) adapter as a plain LoRA adapter that applies to the <b>original</b> base
     * weights: with A₀, B₀ the initial factors read from {@code initialDir},
     * {@code ΔW = B·A − B₀·A₀ = [B, −B₀]·[A; A₀]}: {@code A' = [A; A₀] [2r, in]}, {@code B' = [B, −B₀] [out, 2r]},
     * {@code r' = 2r}, {@code α' = 2α} (rsLoRA: {@code √2·α}) so that s stays the same (rank and alpha patterns
     * likewise). DoRA magnitudes and modules_to_save tensors are copied.
     */
    public void saveConvertedPissa(Path dir, Path initialDir, String baseModelNameOrPath) throws IOException {
        if (!applied) {
            throw new IllegalStateException("apply the adapter to a model before saving it");
        }
        double alphaFactor = config.useRslora() ? Math.sqrt(2) : 2;
        Map<String, Integer> ranks = new LinkedHashMap<>();
        config.rankPattern().forEach((k, v) -> ranks.put(k, 2 * v));
        Map<String, Double> alphas = new LinkedHashMap<>();
        config.alphaPattern().forEach((k, v) -> alphas.put(k, alphaFactor * v));
        LoraConfig converted = new LoraConfig(2 * config.rank(), alphaFactor * config.alpha(), config.dropout(),
                config.targets(), config.useRslora(), LoraInit.DEFAULT, ranks, alphas, config.useDora(), 16,
                config.modulesToSave());
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        try (SafetensorsFile initial = PeftLoraFiles.openWeights(initialDir)) {
            Map<String, String> keys = new LinkedHashMap<>();
            initial.tensors().keySet().forEach(k -> keys.put(PeftLoraFiles.normaliseKey(k), k));
            for (Map.Entry<String, LoraModule> e : layers.entrySet()) {
                String path = e.getKey();
                LoraModule l = e.getValue();
                DataType dt = l.loraA().value().dataType();
                INDArray a0 = read(initial, keys, PeftLoraFiles.keyA(path), l.loraA().value().shape(), dt);
                INDArray b0 = read(initial, keys, PeftLoraFiles.keyB(path), l.loraB().value().shape(), dt);
                tensors.put(PeftLoraFiles.keyA(path), Nd4j.vstack(l.loraA().value(), a0));
                tensors.put(PeftLoraFiles.keyB(path), Nd4j.hstack(l.loraB().value(), b0.neg()));
                l.magnitude().ifPresent(m -> tensors.put(PeftLoraFiles.keyMagnitude(path), m.value()));
            }
        }
        trainedSaved().forEach((name, v) -> tensors.put(PeftLoraFiles.KEY_PREFIX + name, v));
        PeftLoraFiles.writeTensors(dir, converted, resolvedTargetNames(), tensors, baseModelNameOrPath);
    }

    /**
     * Merges the adapter into {@code model}: every wrapped layer is replaced by a dense layer with
     * {@code W' = W + s·B·A} (the base's bias kept). The adapter is spent afterwards (its layers are no longer in the
     * model).
     */
    public void mergeInto(AdaptableModel model) {
        for (Map.Entry<String, LoraModule> e : layers.entrySet()) {
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

    /** The modules_to_save tensors as trained (whether or not the adapter is enabled now), by parameter name. */
    Map<String, INDArray> trainedSaved() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : saved.entrySet()) {
            out.put(e.getKey(), enabled ? e.getValue().value() : savedOther.get(e.getValue()));
        }
        return out;
    }

    @Override
    public String toString() {
        return "LoraAdapter[r=" + config.rank() + ", alpha=" + config.alpha() + ", targets=" + describe(config.targets())
                + ", layers=" + layers.size() + (source == null ? "" : ", from " + source) + "]";
    }
}
