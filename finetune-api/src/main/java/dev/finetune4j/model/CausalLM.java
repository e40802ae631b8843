package dev.finetune4j.model;

import dev.finetune4j.checkpoint.CheckpointException;
import dev.finetune4j.checkpoint.SafetensorsCheckpoint;
import dev.finetune4j.checkpoint.TensorInfo;
import dev.finetune4j.data.Batch;
import dev.finetune4j.model.layers.Attention;
import dev.finetune4j.model.layers.DecoderLayer;
import dev.finetune4j.model.layers.Embedding;
import dev.finetune4j.model.layers.Mlp;
import dev.finetune4j.model.layers.RmsNorm;
import dev.finetune4j.model.layers.RotaryEmbedding;
import dev.finetune4j.model.layers.SequenceContext;
import dev.finetune4j.model.layers.Tensors;
import dev.finetune4j.model.loss.CausalLmLoss;
import dev.finetune4j.nn.AdaptableModel;
import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.DenseWeight;
import dev.finetune4j.nn.Linear;
import dev.finetune4j.nn.NativeMemory;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.nn.WeightStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Llama-family decoder-only language model (llama, qwen2, qwen3, mistral) on ND4J, with a hand-written
 * forward and backward pass.
 *
 * <pre>
 *   x = embed_tokens[input_ids]                                   [rows = batch·seq, hidden]
 *   for each layer:  x = x + attn(input_layernorm(x));  x = x + mlp(post_attention_layernorm(x))
 *   h = norm(x)                                                   ← {@link #forward} returns this
 *   logits = lm_head(h)   (lm_head = embed_tokens when tied)      ← {@link #logits}, or fused into the loss
 * </pre>
 *
 * <p>Training: {@link #forward}{@code (batch, true)} keeps what backward needs; {@link #backward} takes
 * {@code d loss / d h} and accumulates gradients into every trainable {@link Parameter} (frozen weights get no
 * gradient and cost no time). {@link #lossAndBackward} does forward, the fused chunked cross-entropy and backward in
 * one call. Every projection is a {@link Linear} that an adapter may wrap ({@link #replaceLinear}); a quantizer
 * holds a frozen weight through the layer's {@link dev.finetune4j.nn.WeightStore}.
 *
 * <p>Not thread-safe: one forward/backward at a time.
 */
public final class CausalLM implements AdaptableModel, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CausalLM.class);

    /** Supplies a named weight of the given shape in the compute type (from a checkpoint, or generated). */
    @FunctionalInterface
    public interface WeightSource {
        INDArray load(String name, long[] shape, DataType dtype) throws IOException;
    }

    /**
     * How each linear layer keeps its weight, decided as the weight is loaded (so a quantizer can replace it before
     * the next one is read and the full-precision model never lives whole): {@link #dense()} keeps the parameter.
     */
    @FunctionalInterface
    public interface LinearWeights {
        /** The store of {@code module}'s freshly loaded (frozen) weight parameter. */
        WeightStore store(String module, Parameter weight);

        /** Every weight stays a dense {@link Parameter}. */
        static LinearWeights dense() {
            return (module, weight) -> new DenseWeight(weight);
        }
    }

    private final ModelConfig config;
    private final ModelOptions options;
    private final Embedding embedding;
    private final List<DecoderLayer> layers;
    private final RmsNorm finalNorm;
    private final RotaryEmbedding rope;
    private Linear lmHead; // a DenseLinear over the embedding when tied
    private final ArrayPool pool = new ArrayPool(Long.MAX_VALUE);

    // training state between forward and backward
    private SequenceContext trainContext;
    private INDArray[] checkpointedInputs;

    private CausalLM(ModelConfig config, ModelOptions options, Embedding embedding, List<DecoderLayer> layers,
                     RmsNorm finalNorm, Linear lmHead) {
        this.config = config;
        this.options = options;
        this.embedding = embedding;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.rope = new RotaryEmbedding(config);
    }

    /** Loads a HuggingFace model folder (config.json + safetensors) in FLOAT; every parameter starts frozen. */
    public static CausalLM load(Path dir) throws IOException {
        return load(dir, ModelOptions.defaults());
    }

    /**
     * Loads a HuggingFace model folder; every parameter starts frozen. Tensors are read one at a time straight into
     * their arrays, so loading needs the weights' memory once (plus a 64 MiB read window). A tensor the
     * architecture needs but the checkpoint lacks, or with another shape, is an error naming it.
     */
    public static CausalLM load(Path dir, ModelOptions options) throws IOException {
        return load(dir, options, LinearWeights.dense());
    }

    /** {@link #load(Path, ModelOptions)} with each linear weight kept as {@code weights} decides (e.g. quantized). */
    public static CausalLM load(Path dir, ModelOptions options, LinearWeights weights) throws IOException {
        ModelConfig config = ModelConfig.read(dir);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            Set<String> used = new LinkedHashSet<>();
            CausalLM model = create(config, options, (name, shape, dtype) -> {
                if (!ckpt.contains(name)) {
                    throw new CheckpointException(dir + ": the checkpoint has no tensor \"" + name + "\" (needed by "
                            + config.describe() + ")");
                }
                TensorInfo info = ckpt.info(name);
                long[] fileShape = info.shape();
                if (!Arrays.equals(fileShape, shape)) {
                    throw new CheckpointException(dir + ": tensor \"" + name + "\" has shape " + Arrays.toString(fileShape)
                            + " but config.json implies " + Arrays.toString(shape));
                }
                used.add(name);
                return ckpt.load(name, dtype);
            }, weights);
            List<String> unused = new ArrayList<>();
            for (String n : ckpt.names()) {
                if (!used.contains(n) && !(config.tieWordEmbeddings() && n.equals("lm_head.weight"))
                        && !n.endsWith("rotary_emb.inv_freq")) {
                    unused.add(n);
                }
            }
            if (!unused.isEmpty()) {
                LOG.warn("{}: {} tensors not used by {} (first: {})", dir, unused.size(), config.modelType(),
                        unused.subList(0, Math.min(5, unused.size())));
            }
            LOG.info("loaded {} from {} ({} parameters, {})", config.describe(), dir, model.parameterCount(),
                    options.dtype());
            return model;
        }
    }

    /** Builds the model from any weight source (a checkpoint, generated weights); every parameter starts frozen. */
    public static CausalLM create(ModelConfig config, ModelOptions options, WeightSource source) throws IOException {
        return create(config, options, source, LinearWeights.dense());
    }

    /** {@link #create(ModelConfig, ModelOptions, WeightSource)} with each linear weight kept as {@code weights} decides. */
    public static CausalLM create(ModelConfig config, ModelOptions options, WeightSource source, LinearWeights weights)
            throws IOException {
        Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
        DataType dt = options.dtype();
        int h = config.hiddenSize();
        int d = config.headDim();
        int qOut = config.numAttentionHeads() * d;
        int kvOut = config.numKeyValueHeads() * d;
        int inter = config.intermediateSize();
        Parameter embed = param(source, "model.embed_tokens.weight", dt, config.vocabSize(), h);
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            Linear q = linear(source, weights, p + "self_attn.q_proj", dt, qOut, h, config.qkvBias());
            Linear k = linear(source, weights, p + "self_attn.k_proj", dt, kvOut, h, config.qkvBias());
            Linear v = linear(source, weights, p + "self_attn.v_proj", dt, kvOut, h, config.qkvBias());
            Linear o = linear(source, weights, p + "self_attn.o_proj", dt, h, qOut, config.oBias());
            RmsNorm qNorm = null;
            RmsNorm kNorm = null;
            if (config.qkNorm()) {
                qNorm = new RmsNorm(param(source, p + "self_attn.q_norm.weight", dt, d), config.rmsNormEps());
                kNorm = new RmsNorm(param(source, p + "self_attn.k_norm.weight", dt, d), config.rmsNormEps());
            }
            Attention attn = new Attention(i, config.numAttentionHeads(), config.numKeyValueHeads(), d,
                    config.slidingWindow(i), q, k, v, o, qNorm, kNorm);
            Mlp mlp = new Mlp(linear(source, weights, p + "mlp.gate_proj", dt, inter, h, config.mlpBias()),
                    linear(source, weights, p + "mlp.up_proj", dt, inter, h, config.mlpBias()),
                    linear(source, weights, p + "mlp.down_proj", dt, h, inter, config.mlpBias()));
            RmsNorm in = new RmsNorm(param(source, p + "input_layernorm.weight", dt, h), config.rmsNormEps());
            RmsNorm post = new RmsNorm(param(source, p + "post_attention_layernorm.weight", dt, h), config.rmsNormEps());
            layers.add(new DecoderLayer(i, in, attn, post, mlp));
        }
        RmsNorm norm = new RmsNorm(param(source, "model.norm.weight", dt, h), config.rmsNormEps());
        Linear head = config.tieWordEmbeddings()
                ? new DenseLinear("lm_head", new DenseWeight(embed), null)
                : linear(source, weights, "lm_head", dt, config.vocabSize(), h, false);
        return new CausalLM(config, options, new Embedding(embed), Collections.unmodifiableList(layers), norm, head);
    }

    /**
     * Every tensor a checkpoint of this architecture holds, by HuggingFace name, with its shape (HF order; no
     * {@code lm_head.weight} when tied).
     */
    public static Map<String, long[]> parameterShapes(ModelConfig config) {
        Map<String, long[]> out = new LinkedHashMap<>();
        long h = config.hiddenSize();
        long d = config.headDim();
        long q = config.numAttentionHeads() * d;
        long kv = config.numKeyValueHeads() * d;
        long inter = config.intermediateSize();
        out.put("model.embed_tokens.weight", new long[] {config.vocabSize(), h});
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            linearShapes(out, p + "self_attn.q_proj", q, h, config.qkvBias());
            linearShapes(out, p + "self_attn.k_proj", kv, h, config.qkvBias());
            linearShapes(out, p + "self_attn.v_proj", kv, h, config.qkvBias());
            linearShapes(out, p + "self_attn.o_proj", h, q, config.oBias());
            if (config.qkNorm()) {
                out.put(p + "self_attn.q_norm.weight", new long[] {d});
                out.put(p + "self_attn.k_norm.weight", new long[] {d});
            }
            linearShapes(out, p + "mlp.gate_proj", inter, h, config.mlpBias());
            linearShapes(out, p + "mlp.up_proj", inter, h, config.mlpBias());
            linearShapes(out, p + "mlp.down_proj", h, inter, config.mlpBias());
            out.put(p + "input_layernorm.weight", new long[] {h});
            out.put(p + "post_attention_layernorm.weight", new long[] {h});
        }
        out.put("model.norm.weight", new long[] {h});
        if (!config.tieWordEmbeddings()) {
            out.put("lm_head.weight", new long[] {config.vocabSize(), h});
        }
        return out;
    }

    private static void linearShapes(Map<String, long[]> out, String module, long o, long in, boolean bias) {
        out.put(module + ".weight", new long[] {o, in});
        if (bias) {
            out.put(module + ".bias", new long[] {o});
        }
    }

    private static Parameter param(WeightSource source, String name, DataType dt, long... shape) throws IOException {
        return new Parameter(name, source.load(name, shape, dt), false);
    }

    private static Linear linear(WeightSource source, LinearWeights weights, String module, DataType dt, long out,
                                 long in, boolean bias) throws IOException {
        Parameter w = param(source, module + ".weight", dt, out, in);
        Parameter b = bias ? param(source, module + ".bias", dt, out) : null;
        return new DenseLinear(module, weights.store(module, w), b);
    }

    public ModelConfig config() {
        return config;
    }

    public ModelOptions options() {
        return options;
    }

    public DataType dataType() {
        return options.dtype();
    }

    public List<DecoderLayer> layers() {
        return layers;
    }

    public Embedding embedding() {
        return embedding;
    }

    public RmsNorm finalNorm() {
        return finalNorm;
    }

    /** The LM head (over the embedding matrix when tied). */
    public Linear lmHead() {
        return lmHead;
    }

    public RotaryEmbedding rope() {
        return rope;
    }

    // ------------------------------------------------------------------------------------------------ forward

    /**
     * The final-norm hidden states {@code [batch·seq, hidden]} of a batch (a new array the caller closes). With
     * {@code training}, keeps what {@link #backward} needs.
     */
    public INDArray forward(Batch batch, boolean training) {
        return forward(ints(batch.inputIds()), batch.batchSize(), batch.seqLen(), ints(batch.positionIds()),
                ints(batch.attentionMask()), training);
    }

    /**
     * The final-norm hidden states of {@code batch} rows of {@code seq} tokens ({@code ids}, {@code positions},
     * {@code segments}: row-major {@code [batch·seq]}; segments as {@link Batch#attentionMask()}).
     */
    public INDArray forward(int[] ids, int batch, int seq, int[] positions, int[] segments, boolean training) {
        try (ArrayPool.Activation a = pool.activate()) {
            clearCaches();
            SequenceContext ctx = SequenceContext.forBatch(batch, seq, positions, segments, options.dtype(), rope);
            boolean checkpoint = training && options.activationCheckpointing();
            if (checkpoint) {
                checkpointedInputs = new INDArray[layers.size()];
            }
            long t0 = OpTimings.start();
            INDArray x = embedding.forward(ids, training);
            OpTimings.stop("embed", t0);
            for (DecoderLayer layer : layers) {
                INDArray y = layer.forward(x, ctx, training && !checkpoint);
                if (checkpoint) {
                    checkpointedInputs[layer.index()] = x;  // recomputed from here in backward
                } else {
                    Tensors.close(x);
                }
                x = y;
            }
            t0 = OpTimings.start();
            INDArray h = finalNorm.forward(x, training);
            OpTimings.stop("norm", t0);
            Tensors.close(x);
            if (training) {
                trainContext = ctx;
            } else {
                ctx.close();
                NativeMemory.collectIfGrown();
            }
            return h;
        }
    }

    /** Logits {@code [batch, seq, vocab]} of a batch (inference; materialises the full logits). */
    public INDArray logits(Batch batch) {
        try (ArrayPool.Activation a = pool.activate()) {
            INDArray h = forward(batch, false);
            INDArray logits = lmHead.forward(h, false);
            Tensors.close(h);
            return logits.reshape('c', batch.batchSize(), batch.seqLen(), config.vocabSize());
        }
    }

    /**
     * Incremental inference for one sequence: runs {@code ids} at positions {@code cache.length() ..}, appends
     * their keys/values to {@code cache}, and returns their final-norm hidden states {@code [ids.length, hidden]}.
     */
    public INDArray forward(int[] ids, KvCache cache) {
        try (ArrayPool.Activation a = pool.activate()) {
            clearCaches();
            SequenceContext ctx = SequenceContext.forCache(cache, ids.length, options.dtype(), rope);
            INDArray x = embedding.forward(ids, false);
            for (DecoderLayer layer : layers) {
                INDArray y = layer.forward(x, ctx, false);
                Tensors.close(x);
                x = y;
            }
            cache.advance(ids.length);
            INDArray h = finalNorm.forward(x, false);
            Tensors.close(x);
            ctx.close();
            NativeMemory.collectIfGrown();
            return h;
        }
    }

    // ------------------------------------------------------------------------------------------------ backward

    /**
     * Back-propagates {@code dHidden} ({@code d loss / d forward-output}, {@code [rows, hidden]}) through the model
     * of the last training {@link #forward}, adding into the gradients of trainable parameters.
     */
    public void backward(INDArray dHidden) {
        try (ArrayPool.Activation a = pool.activate()) {
            if (trainContext == null) {
                throw new IllegalStateException("backward needs a training forward first");
            }
            long t0 = OpTimings.start();
            INDArray dx = finalNorm.backward(dHidden);
            OpTimings.stop("norm.bwd", t0);
            for (int i = layers.size() - 1; i >= 0; i--) {
                DecoderLayer layer = layers.get(i);
                if (checkpointedInputs != null) {
                    t0 = OpTimings.start();
                    Tensors.close(layer.forward(checkpointedInputs[i], trainContext, true));
                    OpTimings.stop("recompute", t0);
                }
                INDArray d = layer.backward(dx);
                Tensors.close(dx);
                if (checkpointedInputs != null) {
                    Tensors.close(checkpointedInputs[i]);
                    checkpointedInputs[i] = null;
                }
                dx = d;
            }
            t0 = OpTimings.start();
            embedding.backward(dx);
            OpTimings.stop("embed.bwd", t0);
            Tensors.close(dx);
            trainContext.close();
            trainContext = null;
            checkpointedInputs = null;
            NativeMemory.collectIfGrown();
        }
    }

    // ------------------------------------------------------------------------------------------------ losses

    /**
     * One training micro-batch: forward, the causal-LM cross-entropy fused with the LM head (chunked), backward.
     * The loss and gradients are {@code Σ nll / normaliser}: pass the number of label tokens over all accumulated
     * micro-batches under gradient accumulation, or {@code 0} for this batch's own count (HF's mean).
     */
    public CausalLmLoss.Result lossAndBackward(Batch batch, double normaliser) {
        try (ArrayPool.Activation a = pool.activate()) {
            int[] targets = CausalLmLoss.shiftedTargets(ints(batch.labels()), batch.batchSize(), batch.seqLen());
            INDArray h = forward(batch, true);
            CausalLmLoss.Result r = CausalLmLoss.crossEntropy(lmHead, h, targets, normaliser, true,
                    options.lossChunkElements());
            Tensors.close(h);
            backward(r.hiddenGrad());
            Tensors.close(r.hiddenGrad());
            return new CausalLmLoss.Result(r.nllSum(), r.tokens(), r.normaliser(), null);
        }
    }

    /** The causal-LM loss of a batch without gradients (evaluation, perplexity). */
    public CausalLmLoss.Result loss(Batch batch) {
        try (ArrayPool.Activation a = pool.activate()) {
            int[] targets = CausalLmLoss.shiftedTargets(ints(batch.labels()), batch.batchSize(), batch.seqLen());
            INDArray h = forward(batch, false);
            CausalLmLoss.Result r = CausalLmLoss.crossEntropy(lmHead, h, targets, 0, false, options.lossChunkElements());
            Tensors.close(h);
            return r;
        }
    }

    // ------------------------------------------------------------------------------------------------ adapters

    @Override
    public Map<String, Linear> linearLayers() {
        Map<String, Linear> out = new LinkedHashMap<>();
        for (DecoderLayer layer : layers) {
            Attention a = layer.attention();
            Mlp m = layer.mlp();
            for (Linear l : List.of(a.qProj(), a.kProj(), a.vProj(), a.oProj(), m.gate(), m.up(), m.down())) {
                out.put(l.name(), l);
            }
        }
        if (!config.tieWordEmbeddings()) {
            out.put(lmHead.name(), lmHead);
        }
        return Collections.unmodifiableMap(out);
    }

    @Override
    public void replaceLinear(String name, UnaryOperator<Linear> wrap) {
        Linear current = linearLayers().get(name);
        if (current == null) {
            throw new IllegalArgumentException("no linear layer named \"" + name + "\"; e.g. "
                    + layers.get(0).attention().qProj().name() + (config.tieWordEmbeddings()
                    ? " (lm_head is tied to the embedding and cannot be replaced)" : ""));
        }
        Linear replacement = wrap.apply(current);
        if (replacement.inFeatures() != current.inFeatures() || replacement.outFeatures() != current.outFeatures()) {
            throw new IllegalArgumentException(name + ": replacement has shape [" + replacement.outFeatures() + ", "
                    + replacement.inFeatures() + "], expected [" + current.outFeatures() + ", " + current.inFeatures() + "]");
        }
        clearCaches();
        if (name.equals("lm_head")) {
            lmHead = replacement;
            return;
        }
        for (DecoderLayer layer : layers) {
            Attention a = layer.attention();
            Mlp m = layer.mlp();
            if (a.qProj() == current) {
                a.setQProj(replacement);
            } else if (a.kProj() == current) {
                a.setKProj(replacement);
            } else if (a.vProj() == current) {
                a.setVProj(replacement);
            } else if (a.oProj() == current) {
                a.setOProj(replacement);
            } else if (m.gate() == current) {
                m.setGate(replacement);
            } else if (m.up() == current) {
                m.setUp(replacement);
            } else if (m.down() == current) {
                m.setDown(replacement);
            } else {
                continue;
            }
            return;
        }
        throw new IllegalStateException("linear layer " + name + " not found in the layers");
    }

    /**
     * Every parameter by name in HuggingFace order ({@code model.embed_tokens.weight}, then per layer self_attn
     * (q, k, v, o, q_norm, k_norm), mlp (gate, up, down), input_layernorm, post_attention_layernorm, then
     * {@code model.norm.weight} and, untied, {@code lm_head.weight}); parameters of adapters wrapping a projection
     * appear with it, under their own names.
     */
    @Override
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        add(out, embedding.weight());
        for (DecoderLayer layer : layers) {
            Attention a = layer.attention();
            for (Linear l : List.of(a.qProj(), a.kProj(), a.vProj(), a.oProj())) {
                l.parameters().forEach(p -> add(out, p));
            }
            if (a.qNorm() != null) {
                add(out, a.qNorm().weight());
                add(out, a.kNorm().weight());
            }
            Mlp m = layer.mlp();
            for (Linear l : List.of(m.gate(), m.up(), m.down())) {
                l.parameters().forEach(p -> add(out, p));
            }
            add(out, layer.inputNorm().weight());
            add(out, layer.postAttentionNorm().weight());
        }
        add(out, finalNorm.weight());
        if (!config.tieWordEmbeddings()) {
            lmHead.parameters().forEach(p -> add(out, p));
        }
        return Collections.unmodifiableMap(out);
    }

    private static void add(Map<String, Parameter> out, Parameter p) {
        Parameter prev = out.putIfAbsent(p.name(), p);
        if (prev != null && prev != p) {
            throw new IllegalStateException("two parameters named " + p.name());
        }
    }

    /** Logits {@code [rows, vocab]} of final hidden states (e.g. the last row during generation). */
    public INDArray logitsOf(INDArray hiddenRows) {
        try (ArrayPool.Activation a = pool.activate()) {
            return lmHead.forward(hiddenRows, false);
        }
    }

    /**
     * Gives arrays this model returned (hidden states, logits, gradients from its loss) back to its buffer pool once
     * the caller is done with them; they must not be used afterwards.
     */
    public void release(INDArray... arrays) {
        try (ArrayPool.Activation a = pool.activate()) {
            ArrayPool.give(arrays);
        }
    }

    /**
     * The model's buffer pool. A trainer that runs the lower-level API ({@link #forward}, a loss, {@link #backward})
     * activates it around the step so that the loss's temporaries are reused too.
     */
    public ArrayPool pool() {
        return pool;
    }

    /** Drops the buffers kept for reuse (e.g. after training, before a long idle time). */
    public void trimBuffers() {
        pool.clear();
    }

    /** Total number of parameter elements (a tied head counted once). */
    public long parameterCount() {
        return namedParameters().values().stream().mapToLong(Parameter::numel).sum();
    }

    /** Sets every parameter's gradient to zero. */
    public void zeroGrad() {
        namedParameters().values().forEach(Parameter::zeroGrad);
    }

    /** Drops whatever a training forward kept (e.g. after an aborted step). */
    public void clearCaches() {
        for (DecoderLayer layer : layers) {
            layer.clearCache();
        }
        finalNorm.clearCache();
        lmHead.clearCache();
        if (checkpointedInputs != null) {
            Tensors.close(checkpointedInputs);
            checkpointedInputs = null;
        }
        if (trainContext != null) {
            trainContext.close();
            trainContext = null;
        }
    }

    /** Releases the caches; the weights stay usable (they are freed with the model by the garbage collector). */
    @Override
    public void close() {
        clearCaches();
    }

    /** The INT32 {@code [batch, seq]} array as row-major ints. */
    static int[] ints(INDArray a) {
        INDArray dense = a.dup('c');
        int[] out = dense.data().asInt();
        dense.close();
        return out;
    }
}
