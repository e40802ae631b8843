package dev.finetune4j.model.layers;

import dev.finetune4j.nn.DirectRows;
import dev.finetune4j.nn.Gemm;
import dev.finetune4j.nn.RowParallel;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The core of training attention — scores, masked softmax, values, and their backward — for FLOAT arrays on the
 * direct BLAS path, split over the cores by (sequence, kv head) and cut into query blocks that skip the keys no
 * query of the block may see (under half of a causal square).
 *
 * <p>Why: the per-head products are small ({@code [2·256, 64]·[64, 256]} for the 8-head, 512-wide model); OpenBLAS
 * splits each over its threads and reached ~70 GFLOP/s on them, while the Java softmax between them ran on one
 * core. Here each thread owns whole (sequence, kv head) tasks and runs products small enough ({@code m·n·k ≤}
 * {@link Gemm#SINGLE_THREAD_MNK}) that OpenBLAS computes them on the calling thread, with the softmax of a block
 * in between while it is in cache. Same math as {@link Attention}'s per-group path, which stays for DOUBLE (the
 * finite-difference checks), the KV cache and long sequences; {@code ParallelAttentionTest} compares the two.
 *
 * <p>Layouts (dense, C order): q/o/dQ/dO {@code [B, H, T, d]}, k/v/dK/dV {@code [B, KV, T, d]}, P/dP
 * {@code [B, H, T, T]}; query head h reads kv head {@code h / (H / KV)}.
 */
final class ParallelAttention {
    /** A block must have at least this many query rows, or the products get too thin to pay. */
    private static final int MIN_BLOCK_ROWS = 8;
    private static volatile boolean enabled = !"false".equals(System.getProperty("finetune4j.parallelAttention"));

    private ParallelAttention() {
    }

    /** Turns the path off (tests compare it with the per-group path). */
    static void setEnabled(boolean on) {
        enabled = on;
    }

    /** Whether this path runs for a training pass of this shape. */
    static boolean applies(DataType type, long scoreElements, int keyLen, int headDim) {
        return enabled && type == DataType.FLOAT && Gemm.direct() && scoreElements < Integer.MAX_VALUE
                && (long) MIN_BLOCK_ROWS * keyLen * headDim <= Gemm.SINGLE_THREAD_MNK;
    }

    /** A block of query rows {@code [t0, t1)} of one sequence and the keys {@code [k0, k1)} any of them may see. */
    private record Block(int t0, int t1, int k0, int k1) {
    }

    /** The query blocks of sequence {@code s}: as many rows as keep {@code rows·keys·d} under the threshold. */
    private static List<Block> blocks(SequenceContext.KeyRanges ranges, int s, int headDim) {
        int tq = ranges.queryLen();
        int[] lo = ranges.lo();
        int[] hi = ranges.hi();
        List<Block> out = new ArrayList<>();
        int t0 = 0;
        while (t0 < tq) {
            int k0 = lo[s * tq + t0];
            int k1 = hi[s * tq + t0] + 1;
            int t1 = t0 + 1;
            while (t1 < tq) {
                int nk0 = Math.min(k0, lo[s * tq + t1]);
                int nk1 = Math.max(k1, hi[s * tq + t1] + 1);
                if ((long) (t1 + 1 - t0) * (nk1 - nk0) * headDim > Gemm.SINGLE_THREAD_MNK) {
                    break;
                }
                k0 = nk0;
                k1 = nk1;
                t1++;
            }
            out.add(new Block(t0, t1, k0, k1));
            t0 = t1;
        }
        return out;
    }

    /** The query blocks of every sequence. */
    private static List<List<Block>> plan(SequenceContext.KeyRanges ranges, int batch, int headDim) {
        List<List<Block>> plan = new ArrayList<>(batch);
        for (int s = 0; s < batch; s++) {
            plan.add(blocks(ranges, s, headDim));
        }
        return plan;
    }

    /**
     * {@code P = softmax(scale·Q·Kᵀ)} over each query's allowed keys (exact zeros elsewhere) and {@code O = P·V}.
     */
    static void forward(INDArray q, INDArray k, INDArray v, INDArray p, INDArray o, int batch, int heads, int kvHeads,
                        int tq, int headDim, double scale, SequenceContext.KeyRanges ranges) {
        int tk = ranges.keyLen();
        int group = heads / kvHeads;
        int d = headDim;
        long qa = Gemm.address(q);
        long ka = Gemm.address(k);
        long va = Gemm.address(v);
        long pa = Gemm.address(p);
        long oa = Gemm.address(o);
        List<List<Block>> plan = plan(ranges, batch, d);
        RowParallel.forRows((long) batch * kvHeads, 1, (from, to) -> {
            DirectRows ps = DirectRows.flat(p, tk); // P as [B·H·T, T] rows
            FusedOps.SoftmaxScratch scratch = new FusedOps.SoftmaxScratch(tk, tq);
            for (long task = from; task < to; task++) {
                int s = (int) (task / kvHeads);
                int g = (int) (task % kvHeads);
                long kBase = ka + ((long) s * kvHeads + g) * tk * d * Float.BYTES;
                long vBase = va + ((long) s * kvHeads + g) * tk * d * Float.BYTES;
                for (int j = 0; j < group; j++) {
                    long head = (long) s * heads + (long) g * group + j;
                    long qBase = qa + head * tq * d * Float.BYTES;
                    long oBase = oa + head * tq * d * Float.BYTES;
                    long pRow0 = head * tq; // first P row of this head
                    for (Block blk : plan.get(s)) {
                        int m = blk.t1() - blk.t0();
                        int n = blk.k1() - blk.k0();
                        long pBlock = pa + ((pRow0 + blk.t0()) * tk + blk.k0()) * Float.BYTES;
                        Gemm.sgemm(false, true, m, n, d, (float) scale, qBase + (long) blk.t0() * d * Float.BYTES, d,
                                kBase + (long) blk.k0() * d * Float.BYTES, d, 0f, pBlock, tk);
                        // softmax of the block's rows over their allowed keys (exact zeros elsewhere)
                        FusedOps.maskedSoftmaxRows(ps, pRow0 + blk.t0(), s * tq + blk.t0(), m, ranges, scratch);
                        Gemm.sgemm(false, false, m, d, n, 1f, pBlock, tk, vBase + (long) blk.k0() * d * Float.BYTES,
                                d, 0f, oBase + (long) blk.t0() * d * Float.BYTES, d);
                    }
                }
            }
        });
    }

    /**
     * Backward of {@link #forward}: from {@code dO} and the kept {@code P}, writes {@code dQ}, {@code dK}, {@code dV}
     * (all overwritten); {@code dP} is scratch of P's shape.
     */
    static void backward(INDArray dO, INDArray q, INDArray k, INDArray v, INDArray p, INDArray dP, INDArray dQ,
                         INDArray dK, INDArray dV, int batch, int heads, int kvHeads, int tq, int headDim,
                         double scale, SequenceContext.KeyRanges ranges) {
        int tk = ranges.keyLen();
        int group = heads / kvHeads;
        int d = headDim;
        long doa = Gemm.address(dO);
        long qa = Gemm.address(q);
        long ka = Gemm.address(k);
        long va = Gemm.address(v);
        long pa = Gemm.address(p);
        long dpa = Gemm.address(dP);
        long dqa = Gemm.address(dQ);
        long dka = Gemm.address(dK);
        long dva = Gemm.address(dV);
        List<List<Block>> plan = plan(ranges, batch, d);
        RowParallel.forRows((long) batch * kvHeads, 1, (from, to) -> {
            DirectRows ps = DirectRows.flat(p, tk);     // P and dP as [B·H·T, T] rows
            DirectRows dps = DirectRows.flat(dP, tk);
            DirectRows dks = DirectRows.flat(dK, d);    // dK and dV as [B·KV·T, d] rows
            DirectRows dvs = DirectRows.flat(dV, d);
            float[] pv = new float[tk];
            float[] dv = new float[tk];
            float[] zero = new float[d];
            for (long task = from; task < to; task++) {
                int s = (int) (task / kvHeads);
                int g = (int) (task % kvHeads);
                long kvRow0 = ((long) s * kvHeads + g) * tk; // first row of this kv head's [T, d] block
                for (int r = 0; r < tk; r++) {
                    dks.write(kvRow0 + r, zero);
                    dvs.write(kvRow0 + r, zero);
                }
                long kv = kvRow0 * d; // its element offset
                long kBase = ka + kv * Float.BYTES;
                long vBase = va + kv * Float.BYTES;
                long dkBase = dka + kv * Float.BYTES;
                long dvBase = dva + kv * Float.BYTES;
                for (int j = 0; j < group; j++) {
                    long head = (long) s * heads + (long) g * group + j;
                    long hd = head * tq * d * Float.BYTES;
                    long pRow0 = head * tq;
                    for (Block blk : plan.get(s)) {
                        int m = blk.t1() - blk.t0();
                        int n = blk.k1() - blk.k0();
                        long rowsAt = (long) blk.t0() * d * Float.BYTES;
                        long keysAt = (long) blk.k0() * d * Float.BYTES;
                        long blockAt = ((pRow0 + blk.t0()) * tk + blk.k0()) * Float.BYTES;
                        // dP = dO·Vᵀ over the block's keys; dV += Pᵀ·dO
                        Gemm.sgemm(false, true, m, n, d, 1f, doa + hd + rowsAt, d, vBase + keysAt, d, 0f,
                                dpa + blockAt, tk);
                        Gemm.sgemm(true, false, n, d, m, 1f, pa + blockAt, tk, doa + hd + rowsAt, d, 1f,
                                dvBase + keysAt, d);
                        // dS = P·(dP − rowsum(dP·P)) over the block's keys (P is 0 where a key is not allowed)
                        for (int t = blk.t0(); t < blk.t1(); t++) {
                            ps.read(pRow0 + t, blk.k0(), n, pv, 0);
                            dps.read(pRow0 + t, blk.k0(), n, dv, 0);
                            FusedOps.softmaxBackwardRow(dv, pv, n);
                            dps.write(pRow0 + t, blk.k0(), n, dv, 0);
                        }
                        // dQ = scale·dS·K; dK += scale·dSᵀ·Q
                        Gemm.sgemm(false, false, m, d, n, (float) scale, dpa + blockAt, tk, kBase + keysAt, d, 0f,
                                dqa + hd + rowsAt, d);
                        Gemm.sgemm(true, false, n, d, m, (float) scale, dpa + blockAt, tk, qa + hd + rowsAt, d, 1f,
                                dkBase + keysAt, d);
                    }
                }
            }
        });
    }
}
