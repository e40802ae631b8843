package dev.finetune4j.model.layers;

import dev.finetune4j.model.KvCache;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What every layer of one forward pass shares: the shape ({@code batch × queryLen} rows, attending to
 * {@code keyLen} keys), the RoPE tables and the additive attention masks. Built once per forward, closed after
 * the backward (or right after an inference forward).
 *
 * <p>Mask semantics (the {@link dev.finetune4j.data.Batch} contract): query t may attend to key s iff
 * {@code s <= t} and {@code segment[s] == segment[t] != 0}, and, in a sliding-window layer, {@code t - s < window}.
 * Masked scores get {@link #MASKED} added (exp underflows to exactly 0). A padding query (segment 0) has no allowed
 * key under that rule; it attends to itself alone instead, so that no softmax row is empty (no NaN, in FLOAT and
 * DOUBLE) — its output is never read by a real token, and it gets no gradient from the loss.
 */
public final class SequenceContext implements AutoCloseable {
    /** Added to the scores of forbidden keys: exp of it underflows to exactly 0, and it cannot overflow. */
    public static final double MASKED = -1e30;

    private final int batch;
    private final int queryLen;
    private final int pastLen;
    private final int[] positions;   // [batch * queryLen]
    private final int[] segments;    // [batch * keyLen]: keys' segment ids; queries use the last queryLen
    private final DataType dtype;
    private final RotaryEmbedding rope;
    private final KvCache cache;
    private final Map<Integer, INDArray[]> ropeTables = new HashMap<>();
    private final Map<Integer, INDArray> masks = new HashMap<>();
    private final Map<Integer, KeyRanges> keyRanges = new HashMap<>();
    private FusedOps.RopeRows cosSin; // cos, sin, each [rows · headDim/2]

    private SequenceContext(int batch, int queryLen, int pastLen, int[] positions, int[] segments, DataType dtype,
                            RotaryEmbedding rope, KvCache cache) {
        this.batch = batch;
        this.queryLen = queryLen;
        this.pastLen = pastLen;
        this.positions = positions;
        this.segments = segments;
        this.dtype = dtype;
        this.rope = rope;
        this.cache = cache;
    }

    /**
     * A full-sequence pass: {@code positions} and {@code segments} are {@code [batch * seq]} row-major (the batch's
     * position ids and attention mask).
     */
    public static SequenceContext forBatch(int batch, int seq, int[] positions, int[] segments, DataType dtype,
                                           RotaryEmbedding rope) {
        if (positions.length != batch * seq || segments.length != batch * seq) {
            throw new IllegalArgumentException("positions and segments must have batch*seq = " + batch * seq + " entries");
        }
        return new SequenceContext(batch, seq, 0, positions, segments, dtype, rope, null);
    }

    /**
     * An incremental pass of one sequence over a {@link KvCache}: {@code newTokens} queries at positions
     * {@code cache.length() ..}, attending to every cached key and to each other causally.
     */
    public static SequenceContext forCache(KvCache cache, int newTokens, DataType dtype, RotaryEmbedding rope) {
        int past = cache.length();
        int[] pos = new int[newTokens];
        for (int i = 0; i < newTokens; i++) {
            pos[i] = past + i;
        }
        int[] seg = new int[past + newTokens];
        java.util.Arrays.fill(seg, 1);
        return new SequenceContext(1, newTokens, past, pos, seg, dtype, rope, cache);
    }

    public int batch() {
        return batch;
    }

    public int queryLen() {
        return queryLen;
    }

    public int keyLen() {
        return pastLen + queryLen;
    }

    public int pastLen() {
        return pastLen;
    }

    public int rows() {
        return batch * queryLen;
    }

    public DataType dtype() {
        return dtype;
    }

    /** The KV cache of an incremental pass, or null. */
    public KvCache cache() {
        return cache;
    }

    public RotaryEmbedding rope() {
        return rope;
    }

    /** {C, S} RoPE tables for {@code heads} heads ({@link RotaryEmbedding#tables}), made once per context. */
    public INDArray[] ropeTables(int heads) {
        return ropeTables.computeIfAbsent(heads, h -> rope.tables(positions, h, dtype));
    }

    /**
     * RoPE's cos and sin per query row ({@code [rows · headDim/2]}, row-major; float32-rounded as
     * {@link RotaryEmbedding#cosSin} makes them), made once per context.
     */
    FusedOps.RopeRows ropeRows() {
        if (cosSin == null) {
            double[][] cs = rope.cosSin(positions);
            cosSin = new FusedOps.RopeRows(cs[0], cs[1]);
        }
        return cosSin;
    }

    /**
     * The additive mask for attention with sliding window {@code window} (0 = none): {@code [batch, queryLen·keyLen]},
     * row b holding query t's scores for key s at {@code t·keyLen + s}.
     */
    public INDArray mask(int window) {
        return masks.computeIfAbsent(window, this::buildMask);
    }

    /**
     * The same rule as {@link #mask} as ranges, for kernels that skip forbidden keys
     * ({@link FusedOps#maskedSoftmaxInPlace}), made once per context and window.
     */
    KeyRanges keyRanges(int window) {
        return keyRanges.computeIfAbsent(window, this::buildKeyRanges);
    }

    /** Whether query {@code t} (of {@code queryLen}) of sequence {@code b} may attend to key {@code s}. */
    private boolean allowed(int b, int t, int s, int window) {
        int keyLen = keyLen();
        int q = pastLen + t; // the query's index among the keys
        int segQ = segments[b * keyLen + q];
        return segQ == 0 ? s == q // padding attends to itself only: no empty row, no NaN
                : s <= q && segments[b * keyLen + s] == segQ && (window <= 0 || q - s < window);
    }

    private KeyRanges buildKeyRanges(int window) {
        int keyLen = keyLen();
        int rows = batch * queryLen;
        int[] lo = new int[rows];
        int[] hi = new int[rows];
        boolean[] sparse = new boolean[rows];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < queryLen; t++) {
                int row = b * queryLen + t;
                int q = pastLen + t;
                // the query itself is always allowed, no key after it is
                int first = q;
                int count = 0;
                for (int s = 0; s <= q; s++) {
                    if (allowed(b, t, s, window)) {
                        first = Math.min(first, s);
                        count++;
                    }
                }
                lo[row] = first;
                hi[row] = q;
                sparse[row] = count != q - first + 1;
            }
        }
        return new KeyRanges(queryLen, keyLen, lo, hi, sparse, (b, t, s) -> allowed(b, t, s, window));
    }

    /**
     * Per query row {@code b·queryLen + t}: the keys it may attend to all lie in {@code [lo, hi]}; when {@code sparse}
     * is false every key of that range is allowed, else {@link #allowed} says which.
     */
    record KeyRanges(int queryLen, int keyLen, int[] lo, int[] hi, boolean[] sparse, Rule rule) {
        /** Whether key {@code s} is allowed for query row {@code row}. */
        boolean allowed(int row, int s) {
            return rule.allowed(row / queryLen, row % queryLen, s);
        }
    }

    /** The mask rule. */
    interface Rule {
        boolean allowed(int b, int t, int s);
    }

    private INDArray buildMask(int window) {
        int keyLen = keyLen();
        boolean dbl = dtype == DataType.DOUBLE;
        double[] md = dbl ? new double[batch * queryLen * keyLen] : null;
        float[] mf = dbl ? null : new float[batch * queryLen * keyLen];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < queryLen; t++) {
                int base = (b * queryLen + t) * keyLen;
                for (int s = 0; s < keyLen; s++) {
                    if (!allowed(b, t, s, window)) {
                        if (dbl) {
                            md[base + s] = MASKED;
                        } else {
                            mf[base + s] = (float) MASKED;
                        }
                    }
                }
            }
        }
        INDArray out = Tensors.take(dtype, batch, (long) queryLen * keyLen);
        if (dbl) {
            out.data().setData(md);
        } else {
            out.data().setData(mf);
        }
        return out;
    }

    @Override
    public void close() {
        ropeTables.values().forEach(Tensors::close);
        masks.values().forEach(Tensors::close);
        ropeTables.clear();
        masks.clear();
    }
}
