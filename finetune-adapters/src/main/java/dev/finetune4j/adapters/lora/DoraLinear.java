package dev.finetune4j.adapters.lora;

import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.DenseWeight;
import dev.finetune4j.nn.ForwardMode;
import dev.finetune4j.nn.Gemm;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.nn.WeightStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A linear layer with a DoRA adapter (weight-decomposed LoRA, PEFT's {@code DoraLinearLayer}): the adapted weight
 * {@code V = W + s·B·A} is rescaled row by row to the trained magnitude {@code m [out]}:
 * <pre>
 *   g = m / ‖V‖_row              (the norm is a constant for backprop: PEFT detaches it)
 *   y = x·Wᵀ + b + (g − 1)⊙(x̃·Wᵀ) + g⊙(s·x̃·Aᵀ·Bᵀ)          x̃ = dropout(x)
 * </pre>
 * which without dropout is {@code y = g⊙(x·Vᵀ) + b}. Backward with {@code z = x̃·Wᵀ + s·x̃·Aᵀ·Bᵀ},
 * {@code e = dy⊙g}, {@code u = s·e·B}: {@code dm += Σ_rows dy⊙z / ‖V‖}, {@code dB += s·eᵀ·(x̃·Aᵀ)},
 * {@code dA += uᵀ·x̃}, {@code dx = dy·W + ((dy⊙(g−1))·W + u·A)⊙mask} (mask = 1 without dropout, so
 * {@code dx = e·W + u·A}), {@code db += Σ dy}.
 *
 * <p>The base must be a {@link DenseLinear} with a frozen weight (dense or quantized: its store is acquired for each
 * pass, as the norm needs W). Parameters: {@code <module>.lora_A.weight}, {@code .lora_B.weight},
 * {@code .lora_magnitude_vector}.
 */
public final class DoraLinear implements LoraModule {
    private final DenseLinear base;
    private final WeightStore store;
    private final int rank;
    private final double alpha;
    private final double scaling;
    private final double dropout;
    private final Parameter a;
    private final Parameter b;
    private final Parameter m;
    private final LoraDropout dropoutMasks;
    private boolean enabled = true;

    // kept by a training forward for backward
    private INDArray cachedXd;    // dropout(x) (x itself without dropout)
    private INDArray cachedMask;  // [rows, in] or null
    private INDArray cachedT;     // x̃·Aᵀ [rows, r]
    private INDArray cachedZ;     // x̃·Wᵀ + s·x̃·Aᵀ·Bᵀ [rows, out]
    private INDArray cachedG;     // m / ‖V‖ [1, out]
    private INDArray cachedNorm;  // ‖V‖ [1, out]
    private boolean used;

    /**
     * Wraps {@code base} with the given (not copied) A {@code [r, in]}, B {@code [out, r]} and magnitude
     * {@code [out]}; a null magnitude starts as {@code ‖W + s·B·A‖_row} (PEFT's initialisation).
     */
    public DoraLinear(DenseLinear base, INDArray aValue, INDArray bValue, INDArray magnitude, double alpha,
                      boolean rslora, double dropout, boolean trainable, long dropoutSeed) {
        this.base = Objects.requireNonNull(base, "base");
        this.store = base.weight();
        if (store.parameter().map(Parameter::trainable).orElse(false)) {
            throw new IllegalArgumentException(base.name() + ": DoRA needs a frozen base weight");
        }
        if (aValue.rank() != 2 || bValue.rank() != 2 || aValue.size(0) != bValue.size(1)
                || aValue.size(1) != base.inFeatures() || bValue.size(0) != base.outFeatures()) {
            throw new IllegalArgumentException(base.name() + ": LoRA A " + Arrays.toString(aValue.shape())
                    + " and B " + Arrays.toString(bValue.shape()) + " do not fit a [" + base.outFeatures()
                    + ", " + base.inFeatures() + "] layer (A [r, in], B [out, r])");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException(base.name() + ": LoRA dropout must be in [0, 1), got " + dropout);
        }
        this.rank = (int) aValue.size(0);
        this.alpha = alpha;
        this.scaling = LoraConfig.scaling(alpha, rank, rslora);
        this.dropout = dropout;
        this.a = new Parameter(base.name() + ".lora_A.weight", aValue, trainable);
        this.b = new Parameter(base.name() + ".lora_B.weight", bValue, trainable);
        INDArray mag = magnitude;
        if (mag == null) {
            INDArray w = store.acquire();
            try {
                mag = rowNorms(w, aValue, bValue).reshape(base.outFeatures());
            } finally {
                store.release(w);
            }
        } else if (mag.length() != base.outFeatures()) {
            throw new IllegalArgumentException(base.name() + ": DoRA magnitude has " + mag.length()
                    + " entries, the layer " + base.outFeatures() + " outputs");
        }
        this.m = new Parameter(base.name() + ".lora_magnitude_vector", mag.reshape(base.outFeatures()), trainable);
        this.dropoutMasks = new LoraDropout(base.name(), dropout, dropoutSeed);
    }

    /** ‖W + s·B·A‖ of each output row, {@code [1, out]} (a new array, not from the pool). */
    private INDArray rowNorms(INDArray w, INDArray av, INDArray bv) {
        INDArray v = ArrayPool.take(w.dataType(), w.size(0), w.size(1)).assign(w);
        Gemm.gemm(bv, av, v, false, false, scaling, 1.0);
        INDArray n = v.norm2(1).reshape(1, w.size(0));
        ArrayPool.give(v);
        return n;
    }

    @Override
    public DenseLinear base() {
        return base;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public double alpha() {
        return alpha;
    }

    @Override
    public double scaling() {
        return scaling;
    }

    @Override
    public double dropout() {
        return dropout;
    }

    @Override
    public Parameter loraA() {
        return a;
    }

    @Override
    public Parameter loraB() {
        return b;
    }

    @Override
    public Optional<Parameter> magnitude() {
        return Optional.of(m);
    }

    @Override
    public void setEnabled(boolean on) {
        enabled = on;
    }

    @Override
    public boolean enabled() {
        return enabled;
    }

    @Override
    public void reseedDropout(long seed) {
        dropoutMasks.reseed(seed);
    }

    @Override
    public String name() {
        return base.name();
    }

    @Override
    public long inFeatures() {
        return base.inFeatures();
    }

    @Override
    public long outFeatures() {
        return base.outFeatures();
    }

    @Override
    public INDArray forward(INDArray x, boolean training) {
        return forward(x, ForwardMode.of(training));
    }

    /**
     * As {@link LoraLinear#forward(INDArray, ForwardMode)}: an activation-checkpointed first pass
     * ({@link ForwardMode#TRAIN_NO_CACHE}) applies dropout, and its recomputation ({@link ForwardMode#RECOMPUTE})
     * replays the same mask.
     */
    @Override
    public INDArray forward(INDArray x, ForwardMode mode) {
        releaseCache();
        used = enabled;
        if (!enabled) {
            return base.forward(x, mode);
        }
        DataType dt = x.dataType();
        long rows = x.size(0);
        long out = outFeatures();
        INDArray w = store.acquire();
        INDArray y;
        INDArray z;
        INDArray t;
        INDArray mask = null;
        INDArray xd = x;
        INDArray norm;
        INDArray g;
        try {
            norm = rowNorms(w, a.value(), b.value());
            g = m.value().reshape(1, out).div(norm);
            mask = dropoutMasks.mask(mode, dt, rows, x.size(1));
            if (mask != null) {
                xd = ArrayPool.take(dt, rows, x.size(1)).assign(x).muli(mask);
            }
            y = ArrayPool.take(dt, rows, out);
            Gemm.gemm(x, w, y, false, true, 1.0, 0.0);                  // x·Wᵀ
            z = ArrayPool.take(dt, rows, out);
            if (mask == null) {
                z.assign(y);
            } else {
                Gemm.gemm(xd, w, z, false, true, 1.0, 0.0);             // x̃·Wᵀ
            }
        } finally {
            store.release(w);
        }
        t = ArrayPool.take(dt, rows, rank);
        Gemm.gemm(xd, a.value(), t, false, true, 1.0, 0.0);             // t = x̃·Aᵀ
        INDArray baseD = mask == null ? null : z.dup();
        Gemm.gemm(t, b.value(), z, false, true, scaling, 1.0);          // z = x̃·Wᵀ + s·t·Bᵀ
        if (mask == null) {
            y.assign(z).muliRowVector(g);                               // y = g⊙(x·Vᵀ)
        } else {
            // y = x·Wᵀ + (g−1)⊙x̃·Wᵀ + g⊙(s·t·Bᵀ) = x·Wᵀ − x̃·Wᵀ + g⊙z
            y.subi(baseD).addi(z.mulRowVector(g));
            baseD.close();
        }
        if (base.bias() != null) {
            y.addiRowVector(base.bias().value());
        }
        if (mode.keepsCache()) {
            cachedXd = xd;
            cachedMask = mask;
            cachedT = t;
            cachedZ = z;
            cachedG = g;
            cachedNorm = norm;
        } else {
            if (xd != x) {
                ArrayPool.give(xd);
            }
            ArrayPool.give(t, z, mask);
        }
        return y;
    }

    @Override
    public INDArray backward(INDArray dy) {
        if (!used) {
            return base.backward(dy);
        }
        if (cachedT == null) {
            throw new IllegalStateException(name() + ": backward called without a training forward");
        }
        DataType dt = dy.dataType();
        long rows = dy.size(0);
        INDArray e = dy.mulRowVector(cachedG);                          // e = dy⊙g
        if (m.trainable()) {
            INDArray dm = dy.mul(cachedZ).sum(0).reshape(1, outFeatures()).divi(cachedNorm);
            m.accumulateGrad(dm.reshape(outFeatures()));
        }
        if (b.trainable()) {
            Gemm.gemm(e, cachedT, b.gradAccumulator(), true, false, scaling, 1.0);   // dB += s·eᵀ·t
        }
        INDArray u = ArrayPool.take(dt, rows, rank);
        Gemm.gemm(e, b.value(), u, false, false, scaling, 0.0);         // u = s·e·B
        if (a.trainable()) {
            Gemm.gemm(u, cachedXd, a.gradAccumulator(), true, false, 1.0, 1.0);     // dA += uᵀ·x̃
        }
        INDArray dx = ArrayPool.take(dt, rows, inFeatures());
        INDArray w = store.acquire();
        try {
            if (cachedMask == null) {
                Gemm.gemm(e, w, dx, false, false, 1.0, 0.0);            // dx = e·W
                Gemm.gemm(u, a.value(), dx, false, false, 1.0, 1.0);    //    + u·A
            } else {
                INDArray tmp = ArrayPool.take(dt, rows, inFeatures());
                e.subi(dy);                                             // dy⊙(g−1)
                Gemm.gemm(e, w, tmp, false, false, 1.0, 0.0);
                Gemm.gemm(u, a.value(), tmp, false, false, 1.0, 1.0);
                Gemm.gemm(dy, w, dx, false, false, 1.0, 0.0);           // dx = dy·W + (…)⊙mask
                dx.addi(tmp.muli(cachedMask));
                ArrayPool.give(tmp);
            }
        } finally {
            store.release(w);
        }
        Parameter bias = base.bias();
        if (bias != null && bias.trainable()) {
            bias.accumulateGrad(dy.sum(0));
        }
        e.close();
        ArrayPool.give(u);
        releaseCache();
        return dx;
    }

    /**
     * The merged layer {@code W' = diag(m / ‖W + s·B·A‖) · (W + s·B·A)} with the base's bias, over a new frozen
     * weight (exactly the layer's output without dropout).
     */
    @Override
    public DenseLinear merged() {
        INDArray w = store.acquire();
        INDArray merged;
        try {
            merged = w.castTo(a.value().dataType()).dup();
        } finally {
            store.release(w);
        }
        Gemm.gemm(b.value(), a.value(), merged, false, false, scaling, 1.0);
        INDArray norm = merged.norm2(1).reshape(outFeatures(), 1);
        merged.muliColumnVector(m.value().reshape(outFeatures(), 1).div(norm));
        return new DenseLinear(name(), new DenseWeight(new Parameter(name() + ".weight", merged, false)), base.bias());
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>(base.parameters());
        out.add(a);
        out.add(b);
        out.add(m);
        return out;
    }

    @Override
    public void clearCache() {
        releaseCache();
        base.clearCache();
    }

    private void releaseCache() {
        if (cachedT != null) {
            ArrayPool.give(cachedT, cachedZ, cachedMask);
            if (cachedMask != null) {
                ArrayPool.give(cachedXd);
            }
        }
        cachedXd = null;
        cachedMask = null;
        cachedT = null;
        cachedZ = null;
        cachedG = null;
        cachedNorm = null;
    }

    @Override
    public String toString() {
        return "DoraLinear[" + name() + ", r=" + rank + ", alpha=" + alpha + ", s=" + scaling + ", dropout=" + dropout
                + (enabled ? "" : ", disabled") + "]";
    }
}
