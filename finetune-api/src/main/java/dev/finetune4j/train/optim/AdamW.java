package dev.finetune4j.train.optim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.checkpoint.CheckpointException;
import dev.finetune4j.checkpoint.SafeDType;
import dev.finetune4j.checkpoint.SafetensorsFile;
import dev.finetune4j.checkpoint.SafetensorsWriter;
import dev.finetune4j.io.AtomicFiles;
import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.DirectRows;
import dev.finetune4j.nn.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * AdamW with {@code torch.optim.AdamW} semantics (the single-tensor path), per parameter with its own step count t:
 * <pre>
 *   p ← p·(1 − lr·wd)                                   decoupled weight decay
 *   m ← β1·m + (1−β1)·g          v ← β2·v + (1−β2)·g²
 *   p ← p − lr/(1−β1ᵗ) · m / (√v / √(1−β2ᵗ) + ε)
 * </pre>
 * with {@code lr} = the scheduled rate times the group's {@link ParamGroup#lrScale()}. State (m, v, t) exists only
 * for trainable parameters and is created on their first step; a parameter without a gradient is skipped (as torch
 * skips {@code grad is None}). {@link #save}/{@link #load} keep the state in {@value #STATE_FILE} (m and v by
 * parameter name) and {@value #META_FILE} (settings, groups, step counts).
 *
 * <pre>{@code
 * AdamW opt = new AdamW(ParamGroup.huggingFaceDefault(adapter.trainableParameters(), weightDecay), AdamW.Settings.defaults());
 * opt.zeroGrad(); model.lossAndBackward(batch, n); GradientClipping.clip(opt.parameters(), maxGradNorm);
 * opt.step(schedule.lr(optimizerStep));
 * }</pre>
 */
public final class AdamW {
    public static final String STATE_FILE = "optimizer.safetensors";
    public static final String META_FILE = "optimizer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** β1, β2, ε (HF Trainer: 0.9, 0.999, 1e-8). */
    public record Settings(double beta1, double beta2, double eps) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            if (!(eps >= 0)) {
                throw new IllegalArgumentException("adam epsilon must be >= 0, got " + eps);
            }
        }

        public static Settings defaults() {
            return new Settings(0.9, 0.999, 1e-8);
        }
    }

    private static final class State {
        final INDArray m;
        final INDArray v;
        long step;

        State(INDArray m, INDArray v, long step) {
            this.m = m;
            this.v = v;
            this.step = step;
        }
    }

    private final List<ParamGroup> groups;
    private final Settings settings;
    private final Map<Parameter, State> state = new IdentityHashMap<>();

    public AdamW(List<ParamGroup> groups, Settings settings) {
        this.groups = List.copyOf(groups);
        this.settings = Objects.requireNonNull(settings, "settings");
        Set<String> names = new LinkedHashSet<>();
        for (ParamGroup g : this.groups) {
            for (Parameter p : g.parameters()) {
                if (!p.trainable()) {
                    throw new IllegalArgumentException("parameter " + p.name() + " is frozen: only trainable parameters "
                            + "are optimised");
                }
                if (!names.add(p.name())) {
                    throw new IllegalArgumentException("parameter " + p.name() + " is in more than one group");
                }
            }
        }
    }

    /** One group over {@code parameters} with HF's default betas and epsilon. */
    public static AdamW of(List<Parameter> parameters, double weightDecay) {
        return new AdamW(ParamGroup.single(parameters, weightDecay), Settings.defaults());
    }

    public List<ParamGroup> groups() {
        return groups;
    }

    public Settings settings() {
        return settings;
    }

    /** Every optimised parameter, group by group. */
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        groups.forEach(g -> out.addAll(g.parameters()));
        return out;
    }

    /** The number of updates {@code p} has had (0 before its first). */
    public long stepCount(Parameter p) {
        State s = state.get(p);
        return s == null ? 0 : s.step;
    }

    /** Sets every optimised parameter's gradient to zero. */
    public void zeroGrad() {
        for (ParamGroup g : groups) {
            g.parameters().forEach(Parameter::zeroGrad);
        }
    }

    /** One update of every parameter that has a gradient, at learning rate {@code lr} (times each group's scale). */
    public void step(double lr) {
        double b1 = settings.beta1;
        double b2 = settings.beta2;
        for (ParamGroup g : groups) {
            double groupLr = lr * g.lrScale();
            for (Parameter p : g.parameters()) {
                INDArray grad = p.grad();
                if (grad == null) {
                    continue;
                }
                INDArray w = p.value();
                State s = state.computeIfAbsent(p, k -> new State(Nd4j.zeros(w.dataType(), w.shape()),
                        Nd4j.zeros(w.dataType(), w.shape()), 0));
                s.step++;
                double bc1 = 1 - Math.pow(b1, s.step);
                double bc2Sqrt = Math.sqrt(1 - Math.pow(b2, s.step));
                double stepSize = groupLr / bc1;
                double decay = 1 - groupLr * g.weightDecay();
                if (DirectRows.addressable(w) && DirectRows.addressable(grad)) {
                    update(w, grad, s, decay, stepSize, bc2Sqrt);
                } else {
                    updateWithOps(w, grad, s, decay, stepSize, bc2Sqrt);
                }
            }
        }
    }

    private static final int BLOCK = 4096;

    /** The update in one pass over p, g, m, v (float32 arithmetic for FLOAT tensors, double for DOUBLE). */
    private void update(INDArray w, INDArray grad, State s, double decay, double stepSize, double bc2Sqrt) {
        double b1 = settings.beta1;
        double b2 = settings.beta2;
        double eps = settings.eps;
        int n = Math.toIntExact(w.length());
        if (n == 0) {
            return;
        }
        DirectRows ws = DirectRows.flat(w, n);
        DirectRows gs = DirectRows.flat(grad, n);
        DirectRows ms = DirectRows.flat(s.m, n);
        DirectRows vs = DirectRows.flat(s.v, n);
        int block = Math.min(BLOCK, n);
        if (ws.isFloat() && gs.isFloat() && ms.isFloat() && vs.isFloat()) {
            // float32 arithmetic, as torch's AdamW on float32 tensors
            float fb1 = (float) b1;
            float fb2 = (float) b2;
            float c1 = (float) (1 - b1);
            float c2 = (float) (1 - b2);
            float fdecay = (float) decay;
            float fstep = (float) stepSize;
            float fbc2 = (float) bc2Sqrt;
            float feps = (float) eps;
            float[] pb = new float[block];
            float[] gb = new float[block];
            float[] mb = new float[block];
            float[] vb = new float[block];
            for (int from = 0; from < n; from += block) {
                int len = Math.min(block, n - from);
                ws.read(0, from, len, pb, 0);
                gs.read(0, from, len, gb, 0);
                ms.read(0, from, len, mb, 0);
                vs.read(0, from, len, vb, 0);
                for (int i = 0; i < len; i++) {
                    float gi = gb[i];
                    float m = fb1 * mb[i] + c1 * gi;
                    float v = fb2 * vb[i] + c2 * gi * gi;
                    mb[i] = m;
                    vb[i] = v;
                    pb[i] = pb[i] * fdecay - fstep * m / ((float) Math.sqrt(v) / fbc2 + feps);
                }
                ws.write(0, from, len, pb, 0);
                ms.write(0, from, len, mb, 0);
                vs.write(0, from, len, vb, 0);
            }
            return;
        }
        double[] pb = new double[block];
        double[] gb = new double[block];
        double[] mb = new double[block];
        double[] vb = new double[block];
        for (int from = 0; from < n; from += block) {
            int len = Math.min(block, n - from);
            ws.read(0, from, len, pb, 0);
            gs.read(0, from, len, gb, 0);
            ms.read(0, from, len, mb, 0);
            vs.read(0, from, len, vb, 0);
            for (int i = 0; i < len; i++) {
                double gi = gb[i];
                double m = b1 * mb[i] + (1 - b1) * gi;
                double v = b2 * vb[i] + (1 - b2) * gi * gi;
                mb[i] = m;
                vb[i] = v;
                pb[i] = pb[i] * decay - stepSize * m / (Math.sqrt(v) / bc2Sqrt + eps);
            }
            ws.write(0, from, len, pb, 0);
            ms.write(0, from, len, mb, 0);
            vs.write(0, from, len, vb, 0);
        }
    }

    /** The same update as ND4J ops (tensors too large for direct access). */
    private void updateWithOps(INDArray w, INDArray grad, State s, double decay, double stepSize, double bc2Sqrt) {
        double b1 = settings.beta1;
        double b2 = settings.beta2;
        if (decay != 1) {
            w.muli(decay);
        }
        INDArray tmp = ArrayPool.take(w.dataType(), w.shape());
        s.m.muli(b1).addi(tmp.assign(grad).muli(1 - b1));
        s.v.muli(b2).addi(tmp.assign(grad).muli(grad).muli(1 - b2));
        tmp.assign(s.v);
        Transforms.sqrt(tmp, false).divi(bc2Sqrt).addi(settings.eps); // denom
        tmp.rdivi(s.m).muli(stepSize);                                // step_size · m / denom
        w.subi(tmp);
        ArrayPool.give(tmp);
    }

    // ------------------------------------------------------------------------------------------------ state

    /**
     * Writes {@value #STATE_FILE} (tensors {@code <parameter>.exp_avg}, {@code <parameter>.exp_avg_sq}) and
     * {@value #META_FILE} into {@code dir} (created if needed), each atomically.
     */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "finetune4j-adamw");
        ObjectNode meta = JSON.createObjectNode();
        meta.put("optimizer", "adamw");
        meta.putArray("betas").add(settings.beta1).add(settings.beta2);
        meta.put("eps", settings.eps);
        ArrayNode gs = meta.putArray("param_groups");
        ObjectNode steps = JSON.createObjectNode();
        for (ParamGroup g : groups) {
            ObjectNode gn = gs.addObject();
            gn.put("name", g.name());
            gn.put("lr_scale", g.lrScale());
            gn.put("weight_decay", g.weightDecay());
            ArrayNode names = gn.putArray("params");
            for (Parameter p : g.parameters()) {
                names.add(p.name());
                State s = state.get(p);
                if (s != null) {
                    SafeDType t = s.m.dataType() == DataType.DOUBLE ? SafeDType.F64 : SafeDType.F32;
                    w.put(p.name() + ".exp_avg", s.m, t);
                    w.put(p.name() + ".exp_avg_sq", s.v, t);
                    steps.put(p.name(), s.step);
                }
            }
        }
        meta.set("step", steps);
        w.write(dir.resolve(STATE_FILE));
        AtomicFiles.writeString(dir.resolve(META_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(meta));
    }

    /**
     * Replaces the state by the one saved in {@code dir} (by parameter name). Every parameter with saved state must be
     * one of this optimizer's, with the same shape; parameters without saved state start fresh only if the file has
     * no state at all for them (they had no update yet).
     *
     * @throws CheckpointException naming the file and the parameter when the state does not fit
     */
    public void load(Path dir) throws IOException {
        Path metaFile = dir.resolve(META_FILE);
        Path stateFile = dir.resolve(STATE_FILE);
        if (!Files.isRegularFile(metaFile) || !Files.isRegularFile(stateFile)) {
            throw new CheckpointException(dir + ": no optimizer state (" + META_FILE + " and " + STATE_FILE + ")");
        }
        JsonNode meta;
        try {
            meta = JSON.readTree(metaFile.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CheckpointException(metaFile + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (!"adamw".equals(meta.path("optimizer").asText())) {
            throw new CheckpointException(metaFile + ": \"optimizer\" is " + meta.get("optimizer") + ", expected \"adamw\"");
        }
        JsonNode steps = meta.get("step");
        if (steps == null || !steps.isObject()) {
            throw new CheckpointException(metaFile + ": missing \"step\" object");
        }
        Map<String, Parameter> byName = new LinkedHashMap<>();
        parameters().forEach(p -> byName.put(p.name(), p));
        Map<Parameter, State> loaded = new IdentityHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(stateFile)) {
            for (var it = steps.fields(); it.hasNext(); ) {
                var e = it.next();
                Parameter p = byName.get(e.getKey());
                if (p == null) {
                    throw new CheckpointException(metaFile + ": state for \"" + e.getKey() + "\", which this run does "
                            + "not train (is the checkpoint from another adapter configuration?)");
                }
                if (!e.getValue().canConvertToLong() || e.getValue().asLong() < 1) {
                    throw new CheckpointException(metaFile + ": step of \"" + e.getKey() + "\" must be >= 1, got "
                            + e.getValue());
                }
                INDArray m = read(f, p, ".exp_avg");
                INDArray v = read(f, p, ".exp_avg_sq");
                loaded.put(p, new State(m, v, e.getValue().asLong()));
            }
        }
        state.clear();
        state.putAll(loaded);
    }

    private static INDArray read(SafetensorsFile f, Parameter p, String suffix) throws IOException {
        String name = p.name() + suffix;
        if (!f.contains(name)) {
            throw new CheckpointException(f.path() + ": tensor \"" + name + "\" is missing");
        }
        long[] shape = f.info(name).shape();
        if (!Arrays.equals(shape, p.value().shape())) {
            throw new CheckpointException(f.path() + ": tensor \"" + name + "\" has shape " + Arrays.toString(shape)
                    + " but the parameter has " + Arrays.toString(p.value().shape()));
        }
        return f.load(name, p.value().dataType());
    }
}
