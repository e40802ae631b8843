package dev.finetune4j.nn;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A linear map over rows, {@code y = x·Wᵀ (+ b)}, with a hand-written backward pass. Every projection of
 * the decoder (q/k/v/o, gate/up/down) is one of these, so an adapter (LoRA and its family) takes part in
 * training by wrapping a {@code Linear}, and a quantizer by supplying the {@link WeightStore}.
 *
 * <p>Contract: {@link #forward(INDArray, boolean)} with {@code training = true} keeps what
 * {@link #backward(INDArray)} needs; {@code backward} must follow that forward, returns the input
 * gradient and adds parameter gradients to the trainable {@link Parameter}s (frozen ones get none, and no
 * time is spent on them). Inputs are 2-D {@code [rows, inFeatures]}.
 *
 * <p>Ownership: the arrays {@code forward} and {@code backward} return belong entirely to the caller (the decoder
 * gives them back to its {@link ArrayPool} when done, so they must not be views of anything the layer still uses);
 * take them from {@link ArrayPool#take} to avoid allocation. The input {@code x} kept by a training forward stays
 * valid until this layer's {@code backward} returns, not after.
 */
public interface Linear {

    /** The HuggingFace module path, e.g. {@code model.layers.0.self_attn.q_proj}. */
    String name();

    long inFeatures();

    long outFeatures();

    /** {@code x [rows, in]} → {@code y [rows, out]}; the result is a new array the caller owns. */
    INDArray forward(INDArray x, boolean training);

    /**
     * Forward in a given {@link ForwardMode}: what activation checkpointing uses (dropout on without keeping
     * anything, then a recomputation that replays the same randomness). A layer without randomness only needs to know
     * whether to keep what backward needs, which is what this default does; a layer with dropout must override it.
     */
    default INDArray forward(INDArray x, ForwardMode mode) {
        return forward(x, mode.keepsCache());
    }

    /** {@code dy [rows, out]} → {@code dx [rows, in]}; accumulates trainable parameter gradients. */
    INDArray backward(INDArray dy);

    /**
     * {@link #backward} that adds {@code dx} into {@code dxSum [rows, in]} instead of returning it: for an input that
     * feeds several projections (q/k/v, gate/up), whose gradients are summed. Layers that can accumulate straight
     * into it (the products' {@code beta = 1}) override this; the default adds and gives the temporary back.
     */
    default void backwardInto(INDArray dy, INDArray dxSum) {
        INDArray dx = backward(dy);
        dxSum.addi(dx);
        ArrayPool.give(dx);
    }

    /** Every parameter of this layer (and of what it wraps), trainable or frozen. */
    List<Parameter> parameters();

    /** Drops what the last training forward kept. */
    void clearCache();
}
