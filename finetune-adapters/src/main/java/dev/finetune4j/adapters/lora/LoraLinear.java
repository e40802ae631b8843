package dev.finetune4j.adapters.lora;

import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.DenseWeight;
import dev.finetune4j.nn.ForwardMode;
import dev.finetune4j.nn.Gemm;
import dev.finetune4j.nn.Linear;
import dev.finetune4j.nn.Parameter;
import dev.finetune4j.nn.WeightStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A linear layer with a LoRA adapter, PEFT's {@code lora.Linear}:
 * <pre>
 *   y = base(x) + s · dropout(x)·Aᵀ·Bᵀ        A [r, in], B [out, r], s = α/r (rsLoRA α/√r)
 * </pre>
 * computed as two thin products ({@code t = dropout(x)·Aᵀ [rows, r]}, then {@code y += s·t·Bᵀ}); the product B·A is
 * never formed in forward or backward. Backward, with {@code u = s·dy·B [rows, r]}:
 * {@code dB += s·dyᵀ·t}, {@code dA += uᵀ·dropout(x)}, {@code dx = base.backward(dy) + (u·A) ⊙ mask}.
 *
 * <p>Dropout (training only) draws an inverted mask ({@code 0} or {@code 1/(1-p)}) and keeps it for backward. Every
 * training pass takes a fresh seed from this layer's seeded generator and makes its mask from that seed, so that an
 * activation-checkpointed layer's recomputation ({@link ForwardMode#RECOMPUTE}) replays exactly the mask of its first
 * pass ({@link ForwardMode#TRAIN_NO_CACHE}). The parameters are {@code <module path>.lora_A.weight} and
 * {@code .lora_B.weight}; the base layer's own parameters stay as they are (an adapter freezes them).
 */
public final class LoraLinear implements LoraModule {
    private final Linear base;
    private final int rank;
    private final double alpha;
    private final double scaling;
    private final double dropout;
    private final Parameter a;
    private final Parameter b;
    private final LoraDropout dropoutMasks;
    private boolean enabled = true;

    // kept by a training forward for backward
    private INDArray cachedX;
    private INDArray cachedT;     // dropout(x)·Aᵀ [rows, r]
    private INDArray cachedMask;  // inverted dropout mask [rows, in], or null
    private boolean loraUsed;

    /**
     * Wraps {@code base} with the given (not copied) A {@code [r, in]} and B {@code [out, r]} values.
     *
     * @param dropoutSeed seeds the dropout mask generator
     */
    public LoraLinear(Linear base, INDArray aValue, INDArray bValue, double alpha, boolean rslora, double dropout,
                      boolean trainable, long dropoutSeed) {
        this.base = Objects.requireNonNull(base, "base");
        if (aValue.rank() != 2 || bValue.rank() != 2 || aValue.size(0) != bValue.size(1)
                || aValue.size(1) != base.inFeatures() || bValue.size(0) != base.outFeatures()) {
            throw new IllegalArgumentException(base.name() + ": LoRA A " + java.util.Arrays.toString(aValue.shape())
                    + " and B " + java.util.Arrays.toString(bValue.shape()) + " do not fit a [" + base.outFeatures()
                    + ", " + base.inFeatures() + "] layer (A [r, in], B [out, r])");
        }
        if (aValue.dataType() != bValue.dataType()) {
            throw new IllegalArgumentException(base.name() + ": LoRA A and B have different types");
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
        this.dropoutMasks = new LoraDropout(base.name(), dropout, dropoutSeed);
    }

    /**
     * A new adapter on {@code base} initialised as {@code init} says, drawing A then B from {@code random} (in
     * double, then rounded to {@code dtype}).
     */
    public static LoraLinear create(Linear base, int rank, double alpha, boolean rslora, double dropout, LoraInit init,
                                    DataType dtype, SplittableRandom random, boolean trainable, long dropoutSeed) {
        long in = base.inFeatures();
        long out = base.outFeatures();
        double[] av = new double[Math.toIntExact(rank * in)];
        double[] bv = new double[Math.toIntExact(out * rank)];
        switch (init) {
            case DEFAULT -> uniform(av, 1 / Math.sqrt(in), random);
            case GAUSSIAN -> {
                double std = 1.0 / rank;
                for (int i = 0; i < av.length; i++) {
                    av[i] = gaussian(random) * std;
                }
            }
            case RANDOM -> {
                uniform(av, 1 / Math.sqrt(in), random);
                uniform(bv, 1 / Math.sqrt(rank), random);
            }
        }
        INDArray aValue = Nd4j.createFromArray(av).reshape(rank, in).castTo(dtype);
        INDArray bValue = Nd4j.createFromArray(bv).reshape(out, rank).castTo(dtype);
        return new LoraLinear(base, aValue, bValue, alpha, rslora, dropout, trainable, dropoutSeed);
    }

    private static void uniform(double[] v, double bound, SplittableRandom r) {
        for (int i = 0; i < v.length; i++) {
            v[i] = (r.nextDouble() * 2 - 1) * bound;
        }
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller (SplittableRandom has no nextGaussian in Java 17)
        double u1 = 1 - r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** The wrapped layer. */
    public Linear base() {
        return base;
    }

    public int rank() {
        return rank;
    }

    public double alpha() {
        return alpha;
    }

    /** s = α/r (rsLoRA: α/√r). */
    public double scaling() {
        return scaling;
    }

    public double dropout() {
        return dropout;
    }

    /** A {@code [r, in]}, named {@code <module>.lora_A.weight}. */
    public Parameter loraA() {
        return a;
    }

    /** B {@code [out, r]}, named {@code <module>.lora_B.weight}. */
    public Parameter loraB() {
        return b;
    }

    /** Turns the LoRA term on or off for the following forward passes (off: the layer computes as its base). */
    public void setEnabled(boolean on) {
        enabled = on;
    }

    public boolean enabled() {
        return enabled;
    }

    /** Restarts the dropout mask generator (tests use it to replay the same mask). */
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

    @Override
    public INDArray forward(INDArray x, ForwardMode mode) {
        releaseCache();
        boolean keep = mode.keepsCache();
        INDArray y = base.forward(x, mode);
        loraUsed = enabled;
        if (!enabled) {
            return y;
        }
        DataType dt = x.dataType();
        long rows = x.size(0);
        INDArray mask = dropoutMasks.mask(mode, dt, rows, x.size(1));
        INDArray xd = x;
        if (mask != null) {
            xd = ArrayPool.take(dt, rows, x.size(1)).assign(x).muli(mask);
        }
        INDArray t = ArrayPool.take(dt, rows, rank);
        Gemm.gemm(xd, a.value(), t, false, true, 1.0, 0.0);          // t = dropout(x)·Aᵀ
        Gemm.gemm(t, b.value(), y, false, true, scaling, 1.0);       // y += s·t·Bᵀ
        if (xd != x) {
            ArrayPool.give(xd);
        }
        if (keep) {
            cachedX = x;
            cachedT = t;
            cachedMask = mask;
        } else {
            ArrayPool.give(t, mask);
        }
        return y;
    }

    @Override
    public INDArray backward(INDArray dy) {
        if (loraUsed && cachedT == null) {
            throw new IllegalStateException(name() + ": backward called without a training forward");
        }
        INDArray dx = base.backward(dy);
        if (loraUsed) {
            loraBackward(dy, dx);
        }
        return dx;
    }

    /** Adds this layer's input gradient into {@code dxSum}: the base's and the LoRA term's both accumulate there. */
    @Override
    public void backwardInto(INDArray dy, INDArray dxSum) {
        if (loraUsed && cachedT == null) {
            throw new IllegalStateException(name() + ": backward called without a training forward");
        }
        base.backwardInto(dy, dxSum);
        if (loraUsed) {
            loraBackward(dy, dxSum);
        }
    }

    /** The LoRA term's gradients: dB, dA, and its input gradient added into {@code dx}. */
    private void loraBackward(INDArray dy, INDArray dx) {
        DataType dt = dy.dataType();
        long rows = dy.size(0);
        INDArray u = ArrayPool.take(dt, rows, rank);
        Gemm.gemm(dy, b.value(), u, false, false, scaling, 0.0);       // u = s·dy·B
        if (b.trainable()) {
            Gemm.gemm(dy, cachedT, b.gradAccumulator(), true, false, scaling, 1.0);   // dB += s·dyᵀ·t
        }
        if (cachedMask == null) {
            if (a.trainable()) {
                Gemm.gemm(u, cachedX, a.gradAccumulator(), true, false, 1.0, 1.0);   // dA += uᵀ·x
            }
            Gemm.gemm(u, a.value(), dx, false, false, 1.0, 1.0);                   // dx += u·A
        } else {
            INDArray tmp = ArrayPool.take(dt, rows, inFeatures());
            if (a.trainable()) {
                tmp.assign(cachedX).muli(cachedMask);
                Gemm.gemm(u, tmp, a.gradAccumulator(), true, false, 1.0, 1.0);     // dA += uᵀ·dropout(x)
            }
            Gemm.gemm(u, a.value(), tmp, false, false, 1.0, 0.0);
            dx.addi(tmp.muli(cachedMask));                                        // dx += (u·A) ⊙ mask
            ArrayPool.give(tmp);
        }
        ArrayPool.give(u);
        releaseCache();
    }

    /** ΔW = s·B·A {@code [out, in]} (a new array). */
    public INDArray delta() {
        INDArray d = Nd4j.createUninitialized(a.value().dataType(), outFeatures(), inFeatures());
        Gemm.gemm(b.value(), a.value(), d, false, false, scaling, 0.0);
        return d;
    }

    /**
     * The merged layer {@code W' = W + s·B·A} with the base's bias, as a {@link DenseLinear} over a new frozen
     * weight; the base must hold its weight densely or dequantise it ({@link WeightStore#acquire}).
     */
    public DenseLinear merged() {
        if (!(base instanceof DenseLinear dense)) {
            throw new IllegalStateException(name() + ": only a DenseLinear base can be merged, not "
                    + base.getClass().getSimpleName());
        }
        WeightStore store = dense.weight();
        INDArray w = store.acquire();
        INDArray merged;
        try {
            merged = w.castTo(a.value().dataType()).dup();
        } finally {
            store.release(w);
        }
        Gemm.gemm(b.value(), a.value(), merged, false, false, scaling, 1.0);
        return new DenseLinear(name(), new DenseWeight(new Parameter(name() + ".weight", merged, false)), dense.bias());
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>(base.parameters());
        out.add(a);
        out.add(b);
        return out;
    }

    @Override
    public void clearCache() {
        releaseCache();
        base.clearCache();
    }

    private void releaseCache() {
        if (cachedT != null) {
            ArrayPool.give(cachedT, cachedMask);
        }
        cachedX = null;
        cachedT = null;
        cachedMask = null;
    }

    @Override
    public String toString() {
        return "LoraLinear[" + name() + ", r=" + rank + ", alpha=" + alpha + ", s=" + scaling + ", dropout=" + dropout
                + (enabled ? "" : ", disabled") + "]";
    }
}
