package dev.finetune4j.model.layers;

import dev.finetune4j.model.OpTimings;
import dev.finetune4j.nn.ForwardMode;
import dev.finetune4j.nn.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The SwiGLU MLP: {@code down(silu(gate(x)) · up(x))}, {@code silu(g) = g·σ(g)}.
 *
 * <p>Backward, with {@code a = dL/d(silu(g)·u)}: {@code du = a·silu(g)}, {@code dg = a·u·σ(g)·(1 + g·(1−σ(g)))};
 * a training forward keeps σ(g) so that backward needs no exponential ({@link FusedOps#siluMul}, one pass each way).
 */
public final class Mlp {
    private Linear gate;
    private Linear up;
    private Linear down;
    private INDArray cachedGate; // g [rows, inter]
    private INDArray cachedUp;   // u [rows, inter]
    private INDArray cachedAct;  // silu(g)·u, the input down_proj keeps
    private INDArray cachedSig;  // σ(g) [rows, inter]

    public Mlp(Linear gate, Linear up, Linear down) {
        this.gate = gate;
        this.up = up;
        this.down = down;
    }

    public Linear gate() {
        return gate;
    }

    public Linear up() {
        return up;
    }

    public Linear down() {
        return down;
    }

    public void setGate(Linear l) {
        gate = l;
    }

    public void setUp(Linear l) {
        up = l;
    }

    public void setDown(Linear l) {
        down = l;
    }

    public INDArray forward(INDArray x, boolean training) {
        return forward(x, ForwardMode.of(training));
    }

    /** {@link #forward(INDArray, boolean)} in a {@link ForwardMode} (activation checkpointing). */
    public INDArray forward(INDArray x, ForwardMode mode) {
        releaseOwn();
        boolean keep = mode.keepsCache(); // what backward needs
        long t0 = OpTimings.start();
        INDArray g = gate.forward(x, mode);
        INDArray u = up.forward(x, mode);
        OpTimings.stop("mlp.gate_up", t0);
        t0 = OpTimings.start();
        INDArray act = Tensors.take(g.dataType(), g.shape());
        INDArray sig = Tensors.take(g.dataType(), g.shape());
        FusedOps.siluMul(g, u, act, sig);
        OpTimings.stop("mlp.silu_mul", t0);
        t0 = OpTimings.start();
        INDArray out = down.forward(act, mode);
        OpTimings.stop("mlp.down", t0);
        if (keep) {
            cachedGate = g;
            cachedUp = u;
            cachedAct = act;
            cachedSig = sig;
        } else {
            Tensors.close(g, u, act, sig);
        }
        return out;
    }

    public INDArray backward(INDArray dy) {
        if (cachedGate == null) {
            throw new IllegalStateException("mlp backward without a training forward");
        }
        long t0 = OpTimings.start();
        INDArray dAct = down.backward(dy);
        OpTimings.stop("mlp.down.bwd", t0);
        t0 = OpTimings.start();
        INDArray g = cachedGate;
        INDArray u = cachedUp;
        FusedOps.siluMulBackward(dAct, g, u, cachedSig, g, u); // in place: g becomes dg, u becomes du
        INDArray dg = g;
        INDArray du = u;
        Tensors.close(dAct);
        OpTimings.stop("mlp.silu.bwd", t0);
        t0 = OpTimings.start();
        INDArray dx = gate.backward(dg);
        up.backwardInto(du, dx);
        OpTimings.stop("mlp.gate_up.bwd", t0);
        clearCache(); // gives dg and du (the cached g and u) back
        return dx;
    }

    public void clearCache() {
        releaseOwn();
        gate.clearCache();
        up.clearCache();
        down.clearCache();
    }

    private void releaseOwn() {
        Tensors.close(cachedGate, cachedUp, cachedAct, cachedSig);
        cachedGate = null;
        cachedUp = null;
        cachedAct = null;
        cachedSig = null;
    }
}
