package dev.finetune4j.model.layers;

import dev.finetune4j.model.KvCache;
import dev.finetune4j.model.OpTimings;
import dev.finetune4j.nn.ForwardMode;
import dev.finetune4j.nn.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Grouped-query self-attention (Llama/Qwen2/Qwen3/Mistral):
 * <pre>
 *   q = q_proj(x), k = k_proj(x), v = v_proj(x)            [rows, heads·d]   (Qwen2: with bias)
 *   q, k = q_norm(q), k_norm(k) per head                     (Qwen3)
 *   q, k = rope(q), rope(k)
 *   S = q·kᵀ·d^-½ + mask,  P = softmax(S),  o = P·v         per head; query head h reads kv head h / group
 *   out = o_proj(o)
 * </pre>
 * Rows are {@code batch × seq} tokens, token-major. For the attention products q, k, v are copied once to
 * head-major {@code [batch, heads, seq, d]}, so that the {@code group} query heads sharing a kv head form one
 * contiguous {@code [group·seq, d]} matrix: one gemm per (sequence, kv head) for the scores, one for the output,
 * and in backward the sums over the group (dK, dV) come out of a single gemm.
 *
 * <p>Backward: {@code dP = dO·Vᵀ}, {@code dV = Pᵀ·dO}, {@code dS = P·(dP − rowsum(dP·P))},
 * {@code dQ = dS·K·d^-½}, {@code dK = dSᵀ·Q·d^-½}, then back through RoPE, q/k norm and the projections.
 */
public final class Attention {
    private final int layerIndex;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int group;
    private final int slidingWindow;
    private final double scale;
    private Linear qProj;
    private Linear kProj;
    private Linear vProj;
    private Linear oProj;
    private final RmsNorm qNorm; // null unless qwen3
    private final RmsNorm kNorm;

    // kept by a training forward for backward
    private SequenceContext ctx;
    private INDArray qh;     // [B, heads, T, d] after RoPE
    private INDArray kh;     // [B, kvHeads, T, d] after RoPE
    private INDArray vh;     // [B, kvHeads, T, d]
    private INDArray probs;  // [B, heads, T, T]
    private INDArray attnOut; // o [rows, heads·d], the input o_proj keeps

    public Attention(int layerIndex, int heads, int kvHeads, int headDim, int slidingWindow, Linear qProj,
                     Linear kProj, Linear vProj, Linear oProj, RmsNorm qNorm, RmsNorm kNorm) {
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " not a multiple of kv heads " + kvHeads);
        }
        this.layerIndex = layerIndex;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.group = heads / kvHeads;
        this.slidingWindow = slidingWindow;
        this.scale = 1.0 / Math.sqrt(headDim);
        this.qProj = qProj;
        this.kProj = kProj;
        this.vProj = vProj;
        this.oProj = oProj;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
    }

    public Linear qProj() {
        return qProj;
    }

    public Linear kProj() {
        return kProj;
    }

    public Linear vProj() {
        return vProj;
    }

    public Linear oProj() {
        return oProj;
    }

    public RmsNorm qNorm() {
        return qNorm;
    }

    public RmsNorm kNorm() {
        return kNorm;
    }

    public void setQProj(Linear l) {
        qProj = l;
    }

    public void setKProj(Linear l) {
        kProj = l;
    }

    public void setVProj(Linear l) {
        vProj = l;
    }

    public void setOProj(Linear l) {
        oProj = l;
    }

    /** {@code x [rows, hidden]} → {@code [rows, hidden]}; with a KV cache in {@code ctx}, appends this layer's k/v. */
    public INDArray forward(INDArray x, SequenceContext ctx, boolean training) {
        return forward(x, ctx, ForwardMode.of(training));
    }

    /** {@link #forward(INDArray, SequenceContext, boolean)} in a {@link ForwardMode} (activation checkpointing). */
    public INDArray forward(INDArray x, SequenceContext ctx, ForwardMode mode) {
        releaseOwn();
        boolean keep = mode.keepsCache(); // what backward needs
        int b = ctx.batch();
        int tq = ctx.queryLen();
        int tk = ctx.keyLen();
        long rows = ctx.rows();
        KvCache cache = ctx.cache();
        if (cache != null && mode != ForwardMode.INFERENCE) {
            throw new IllegalArgumentException("a KV-cache pass is inference only");
        }

        long t0 = OpTimings.start();
        INDArray q = qProj.forward(x, mode);
        INDArray k = kProj.forward(x, mode);
        INDArray v = vProj.forward(x, mode);
        OpTimings.stop("attn.qkv_proj", t0);

        if (qNorm != null) {
            t0 = OpTimings.start();
            // per-head norm over [rows·heads, d] views; the results are made [rows, heads·d] again without a copy
            INDArray qn = qNorm.forward(q.reshape('c', rows * heads, headDim), keep);
            INDArray kn = kNorm.forward(k.reshape('c', rows * kvHeads, headDim), keep);
            Tensors.close(q, k);
            q = Tensors.reshapeOwned(qn, rows, (long) heads * headDim);
            k = Tensors.reshapeOwned(kn, rows, (long) kvHeads * headDim);
            OpTimings.stop("attn.qk_norm", t0);
        }

        // RoPE on the way to the head-major layout, in one pass per array
        t0 = OpTimings.start();
        FusedOps.RopeRows cs = ctx.ropeRows();
        INDArray qHeads = Tensors.take(x.dataType(), b, heads, tq, headDim);
        INDArray kHeads = Tensors.take(x.dataType(), b, kvHeads, tq, headDim);
        INDArray vHeads = Tensors.take(x.dataType(), b, kvHeads, tq, headDim);
        FusedOps.toHeads(q, b, tq, heads, headDim, cs, qHeads);
        FusedOps.toHeads(k, b, tq, kvHeads, headDim, cs, kHeads);
        FusedOps.toHeads(v, b, tq, kvHeads, headDim, null, vHeads);
        Tensors.close(q, k, v);
        if (cache != null) {
            cache.write(layerIndex, kHeads.reshape('c', kvHeads, tq, headDim), vHeads.reshape('c', kvHeads, tq, headDim));
        }
        OpTimings.stop("attn.rope_heads", t0);

        INDArray p = Tensors.take(x.dataType(), b, heads, tq, tk);
        INDArray oHeads = Tensors.take(x.dataType(), b, heads, tq, headDim);
        if (cache == null && ParallelAttention.applies(x.dataType(), p.length(), tk, headDim)) {
            t0 = OpTimings.start();
            ParallelAttention.forward(qHeads, kHeads, vHeads, p, oHeads, b, heads, kvHeads, tq, headDim, scale,
                    ctx.keyRanges(slidingWindow));
            OpTimings.stop("attn.core", t0);
        } else {
            perGroupForward(qHeads, kHeads, vHeads, p, oHeads, cache, b, tq, tk, ctx);
        }
        t0 = OpTimings.start();
        INDArray o = Tensors.take(x.dataType(), rows, (long) heads * headDim);
        FusedOps.fromHeads(oHeads, b, tq, heads, headDim, null, o);
        Tensors.close(oHeads);
        OpTimings.stop("attn.o_heads", t0);

        t0 = OpTimings.start();
        INDArray out = oProj.forward(o, mode);
        OpTimings.stop("attn.o_proj", t0);
        if (keep) {
            this.ctx = ctx;
            this.qh = qHeads;
            this.kh = kHeads;
            this.vh = vHeads;
            this.probs = p;
            this.attnOut = o;
        } else {
            Tensors.close(qHeads, kHeads, vHeads, p, o);
        }
        return out;
    }

    /** Scores, masked softmax and values one (sequence, kv head) group at a time (any type, KV cache). */
    private void perGroupForward(INDArray qHeads, INDArray kHeads, INDArray vHeads, INDArray p, INDArray oHeads,
                                 KvCache cache, int b, int tq, int tk, SequenceContext ctx) {
        long t0 = OpTimings.start();
        for (int s = 0; s < b; s++) {
            for (int g = 0; g < kvHeads; g++) {
                Tensors.gemm(queries(qHeads, s, g, tq), keys(cache, kHeads, s, g, tk), scores(p, s, g, tq, tk),
                        false, true, scale, 0.0);
            }
        }
        OpTimings.stop("attn.scores", t0);
        t0 = OpTimings.start();
        // softmax over each query's allowed keys (ctx.mask's rule), exact zeros elsewhere
        FusedOps.maskedSoftmaxInPlace(p.reshape('c', (long) b * heads * tq, tk), heads, ctx.keyRanges(slidingWindow));
        OpTimings.stop("attn.mask_softmax", t0);

        t0 = OpTimings.start();
        for (int s = 0; s < b; s++) {
            for (int g = 0; g < kvHeads; g++) {
                Tensors.gemm(scores(p, s, g, tq, tk), values(cache, vHeads, s, g, tk), queries(oHeads, s, g, tq),
                        false, false, 1.0, 0.0);
            }
        }
        OpTimings.stop("attn.pv", t0);
    }

    /** Gradient with respect to the input {@code x} (a new array); parameter gradients go to trainable ones. */
    public INDArray backward(INDArray dy) {
        if (probs == null) {
            throw new IllegalStateException("layer " + layerIndex + " attention: backward without a training forward");
        }
        int b = ctx.batch();
        int t = ctx.queryLen();
        long t0 = OpTimings.start();
        INDArray dO = oProj.backward(dy);
        OpTimings.stop("attn.o_proj.bwd", t0);

        t0 = OpTimings.start();
        INDArray dOHeads = Tensors.take(dy.dataType(), b, heads, t, headDim);
        FusedOps.toHeads(dO, b, t, heads, headDim, null, dOHeads);
        Tensors.close(dO);
        INDArray dP = Tensors.take(dy.dataType(), b, heads, t, t);
        INDArray dV = Tensors.take(dy.dataType(), b, kvHeads, t, headDim);
        INDArray dQ = Tensors.take(dy.dataType(), b, heads, t, headDim);
        INDArray dK = Tensors.take(dy.dataType(), b, kvHeads, t, headDim);
        OpTimings.stop("attn.o_heads.bwd", t0);
        if (ParallelAttention.applies(dy.dataType(), dP.length(), t, headDim)) {
            t0 = OpTimings.start();
            ParallelAttention.backward(dOHeads, qh, kh, vh, probs, dP, dQ, dK, dV, b, heads, kvHeads, t, headDim,
                    scale, ctx.keyRanges(slidingWindow));
            OpTimings.stop("attn.core.bwd", t0);
        } else {
            perGroupBackward(dOHeads, dP, dQ, dK, dV, b, t);
        }
        Tensors.close(dOHeads, dP);
        releaseOwn();

        // back to token-major, through RoPE's transpose on the way
        t0 = OpTimings.start();
        long rows = ctx.rows();
        FusedOps.RopeRows cs = ctx.ropeRows();
        INDArray dqr = Tensors.take(dy.dataType(), rows, (long) heads * headDim);
        INDArray dkr = Tensors.take(dy.dataType(), rows, (long) kvHeads * headDim);
        INDArray dv = Tensors.take(dy.dataType(), rows, (long) kvHeads * headDim);
        FusedOps.fromHeads(dQ, b, t, heads, headDim, cs, dqr);
        FusedOps.fromHeads(dK, b, t, kvHeads, headDim, cs, dkr);
        FusedOps.fromHeads(dV, b, t, kvHeads, headDim, null, dv);
        Tensors.close(dQ, dK, dV);
        OpTimings.stop("attn.rope_heads.bwd", t0);

        if (qNorm != null) {
            t0 = OpTimings.start();
            qNorm.backwardInPlace(dqr.reshape('c', rows * heads, headDim), null);
            kNorm.backwardInPlace(dkr.reshape('c', rows * kvHeads, headDim), null);
            OpTimings.stop("attn.qk_norm.bwd", t0);
        }

        t0 = OpTimings.start();
        INDArray dx = qProj.backward(dqr);
        kProj.backwardInto(dkr, dx);
        vProj.backwardInto(dv, dx);
        Tensors.close(dqr, dkr, dv);
        OpTimings.stop("attn.qkv_proj.bwd", t0);
        ctx = null;
        return dx;
    }

    /** The attention backward one (sequence, kv head) group at a time (any type). */
    private void perGroupBackward(INDArray dOHeads, INDArray dP, INDArray dQ, INDArray dK, INDArray dV, int b, int t) {
        long t0 = OpTimings.start();
        for (int s = 0; s < b; s++) {
            for (int g = 0; g < kvHeads; g++) {
                INDArray dOg = queries(dOHeads, s, g, t);
                Tensors.gemm(dOg, keys(null, vh, s, g, t), scores(dP, s, g, t, t), false, true, 1.0, 0.0);
                Tensors.gemm(scores(probs, s, g, t, t), dOg, keys(null, dV, s, g, t), true, false, 1.0, 0.0);
            }
        }
        OpTimings.stop("attn.pv.bwd", t0);

        t0 = OpTimings.start();
        // softmax backward, in place on dP: dS = P·(dP − rowsum(dP·P))
        long r = (long) b * heads * t;
        FusedOps.maskedSoftmaxBackwardInPlace(dP.reshape('c', r, t), probs.reshape('c', r, t), heads,
                ctx.keyRanges(slidingWindow));
        OpTimings.stop("attn.softmax.bwd", t0);

        t0 = OpTimings.start();
        for (int s = 0; s < b; s++) {
            for (int g = 0; g < kvHeads; g++) {
                INDArray dSg = scores(dP, s, g, t, t);
                Tensors.gemm(dSg, keys(null, kh, s, g, t), queries(dQ, s, g, t), false, false, scale, 0.0);
                Tensors.gemm(dSg, queries(qh, s, g, t), keys(null, dK, s, g, t), true, false, scale, 0.0);
            }
        }
        OpTimings.stop("attn.scores.bwd", t0);
    }

    /** The {@code group} query heads of kv head g in sequence s: a {@code [group·T, d]} view of {@code [B, H, T, d]}. */
    private INDArray queries(INDArray headsArray, int s, int g, int t) {
        long off = ((long) s * heads + (long) g * group) * t * headDim;
        return Tensors.block(headsArray, off, (long) group * t, headDim);
    }

    /** kv head g of sequence s: a {@code [T, d]} view of {@code [B, kvHeads, T, d]}, or of the KV cache. */
    private INDArray keys(KvCache cache, INDArray kvArray, int s, int g, int t) {
        if (cache != null) {
            return cache.keys(layerIndex, g, t);
        }
        return Tensors.block(kvArray, ((long) s * kvHeads + g) * t * headDim, t, headDim);
    }

    private INDArray values(KvCache cache, INDArray kvArray, int s, int g, int t) {
        if (cache != null) {
            return cache.values(layerIndex, g, t);
        }
        return Tensors.block(kvArray, ((long) s * kvHeads + g) * t * headDim, t, headDim);
    }

    /** The scores of the group of kv head g in sequence s: a {@code [group·Tq, Tk]} view of {@code [B, H, Tq, Tk]}. */
    private INDArray scores(INDArray p, int s, int g, int tq, int tk) {
        long off = ((long) s * heads + (long) g * group) * tq * tk;
        return Tensors.block(p, off, (long) group * tq, tk);
    }

    public void clearCache() {
        releaseOwn();
        qProj.clearCache();
        kProj.clearCache();
        vProj.clearCache();
        oProj.clearCache();
        if (qNorm != null) {
            qNorm.clearCache();
            kNorm.clearCache();
        }
        ctx = null;
    }

    private void releaseOwn() {
        Tensors.close(qh, kh, vh, probs, attnOut);
        qh = null;
        kh = null;
        vh = null;
        probs = null;
        attnOut = null;
    }
}
