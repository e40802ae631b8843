package dev.finetune4j.model.layers;

import dev.finetune4j.model.OpTimings;
import dev.finetune4j.nn.ForwardMode;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One pre-norm decoder block: {@code h = x + attn(input_layernorm(x))}, {@code y = h + mlp(post_attention_layernorm(h))}.
 * Backward runs the same path in reverse, adding the residual gradients.
 */
public final class DecoderLayer {
    private final int index;
    private final RmsNorm inputNorm;
    private final Attention attention;
    private final RmsNorm postAttentionNorm;
    private final Mlp mlp;
    private INDArray normedIn;   // input_layernorm(x), kept by q/k/v_proj
    private INDArray normedPost; // post_attention_layernorm(h), kept by gate/up_proj

    public DecoderLayer(int index, RmsNorm inputNorm, Attention attention, RmsNorm postAttentionNorm, Mlp mlp) {
        this.index = index;
        this.inputNorm = inputNorm;
        this.attention = attention;
        this.postAttentionNorm = postAttentionNorm;
        this.mlp = mlp;
    }

    public int index() {
        return index;
    }

    public RmsNorm inputNorm() {
        return inputNorm;
    }

    public Attention attention() {
        return attention;
    }

    public RmsNorm postAttentionNorm() {
        return postAttentionNorm;
    }

    public Mlp mlp() {
        return mlp;
    }

    /** A new {@code [rows, hidden]} array; {@code x} is left as it is (the caller owns it). */
    public INDArray forward(INDArray x, SequenceContext ctx, boolean training) {
        return forward(x, ctx, ForwardMode.of(training));
    }

    /**
     * {@link #forward(INDArray, SequenceContext, boolean)} in a {@link ForwardMode}: activation checkpointing runs
     * {@link ForwardMode#TRAIN_NO_CACHE} first, then {@link ForwardMode#RECOMPUTE} before {@link #backward}.
     */
    public INDArray forward(INDArray x, SequenceContext ctx, ForwardMode mode) {
        releaseOwn();
        boolean keep = mode.keepsCache(); // what backward needs
        long t0 = OpTimings.start();
        INDArray n1 = inputNorm.forward(x, keep);
        OpTimings.stop("norm", t0);
        INDArray h = attention.forward(n1, ctx, mode); // o_proj output: ours to modify
        t0 = OpTimings.start();
        INDArray n2 = postAttentionNorm.forward(h, x, keep); // h += x, then the norm of it
        OpTimings.stop("norm", t0);
        INDArray y = mlp.forward(n2, mode);
        y.addi(h);
        Tensors.close(h);
        if (keep) {
            normedIn = n1;
            normedPost = n2;
        } else {
            Tensors.close(n1, n2);
        }
        return y;
    }

    /** Gradient with respect to the layer input (a new array); {@code dy} is left as it is. */
    public INDArray backward(INDArray dy) {
        INDArray dn2 = mlp.backward(dy);
        long t0 = OpTimings.start();
        INDArray dh = postAttentionNorm.backwardInPlace(dn2, dy); // d/dh of the norm, plus the residual's dy
        OpTimings.stop("norm.bwd", t0);
        INDArray dn1 = attention.backward(dh);
        t0 = OpTimings.start();
        INDArray dx = inputNorm.backwardInPlace(dn1, dh);
        OpTimings.stop("norm.bwd", t0);
        Tensors.close(dh);
        releaseOwn();
        return dx;
    }

    public void clearCache() {
        releaseOwn();
        inputNorm.clearCache();
        attention.clearCache();
        postAttentionNorm.clearCache();
        mlp.clearCache();
    }

    private void releaseOwn() {
        Tensors.close(normedIn, normedPost);
        normedIn = null;
        normedPost = null;
    }
}
