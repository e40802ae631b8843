package dev.finetune4j.model.bench;

import dev.finetune4j.model.layers.Tensors;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * How to run the attention products S = Q·Kᵀ and O = P·V (forward) on ND4J, measured three ways:
 * <ol>
 *   <li>grouped: copy q/k/v to head-major once, then one gemm per (sequence, kv head) covering its query group;</li>
 *   <li>per head: one gemm per (sequence, query head) straight on strided views of the token-major q/k/v;</li>
 *   <li>batched: ND4J's rank-4 matmul on head-major arrays with k/v repeated to all query heads.</li>
 * </ol>
 * {@code java -cp CP dev.finetune4j.model.bench.AttentionMatmulBench --heads 8 --kv 4 --seq 256 --reps 50}
 */
public final class AttentionMatmulBench {
    private AttentionMatmulBench() {
    }

    public static void main(String[] argv) {
        Map<String, String> a = BenchSupport.args(argv);
        int h = Integer.parseInt(a.getOrDefault("heads", "8"));
        int kv = Integer.parseInt(a.getOrDefault("kv", "4"));
        int t = Integer.parseInt(a.getOrDefault("seq", "256"));
        int d = Integer.parseInt(a.getOrDefault("head-dim", "64"));
        int reps = Integer.parseInt(a.getOrDefault("reps", "50"));
        int g = h / kv;
        Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
        INDArray q = Nd4j.rand(DataType.FLOAT, t, (long) h * d);
        INDArray k = Nd4j.rand(DataType.FLOAT, t, (long) kv * d);
        INDArray v = Nd4j.rand(DataType.FLOAT, t, (long) kv * d);
        INDArray p = Nd4j.rand(DataType.FLOAT, h, t, t);
        INDArray sOut = Nd4j.create(DataType.FLOAT, h, t, t);
        INDArray oOut = Nd4j.create(DataType.FLOAT, h, t, d);
        Runnable grouped = () -> {
            INDArray qh = q.reshape('c', t, h, d).permute(1, 0, 2).dup('c');
            INDArray kh = k.reshape('c', t, kv, d).permute(1, 0, 2).dup('c');
            INDArray vh = v.reshape('c', t, kv, d).permute(1, 0, 2).dup('c');
            for (int j = 0; j < kv; j++) {
                INDArray qg = Tensors.block(qh, (long) j * g * t * d, (long) g * t, d);
                INDArray kg = Tensors.block(kh, (long) j * t * d, t, d);
                INDArray vg = Tensors.block(vh, (long) j * t * d, t, d);
                Nd4j.gemm(qg, kg, Tensors.block(sOut, (long) j * g * t * t, (long) g * t, t), false, true, 1, 0);
                Nd4j.gemm(Tensors.block(p, (long) j * g * t * t, (long) g * t, t), vg,
                        Tensors.block(oOut, (long) j * g * t * d, (long) g * t, d), false, false, 1, 0);
            }
            INDArray o = oOut.permute(1, 0, 2).dup('c');
            qh.close();
            kh.close();
            vh.close();
            o.close();
        };
        INDArray oTok = Nd4j.create(DataType.FLOAT, t, (long) h * d);
        Runnable perHead = () -> {
            for (int i = 0; i < h; i++) {
                int j = i / g;
                INDArray qi = q.get(NDArrayIndex.all(), NDArrayIndex.interval((long) i * d, (long) (i + 1) * d));
                INDArray kj = k.get(NDArrayIndex.all(), NDArrayIndex.interval((long) j * d, (long) (j + 1) * d));
                INDArray vj = v.get(NDArrayIndex.all(), NDArrayIndex.interval((long) j * d, (long) (j + 1) * d));
                Nd4j.gemm(qi, kj, Tensors.block(sOut, (long) i * t * t, t, t), false, true, 1, 0);
                INDArray oi = Tensors.block(oOut, (long) i * t * d, t, d);
                Nd4j.gemm(Tensors.block(p, (long) i * t * t, t, t), vj, oi, false, false, 1, 0);
                oTok.get(NDArrayIndex.all(), NDArrayIndex.interval((long) i * d, (long) (i + 1) * d)).assign(oi);
            }
        };
        Runnable batched = () -> {
            INDArray qh = q.reshape('c', 1, t, h, d).permute(0, 2, 1, 3).dup('c');
            INDArray kh = k.reshape('c', 1, t, kv, 1, d).permute(0, 2, 3, 1, 4);
            INDArray kr = Nd4j.tile(kh, 1, 1, g, 1, 1).reshape('c', 1, h, t, d);
            INDArray vh = v.reshape('c', 1, t, kv, 1, d).permute(0, 2, 3, 1, 4);
            INDArray vr = Nd4j.tile(vh, 1, 1, g, 1, 1).reshape('c', 1, h, t, d);
            INDArray s = Nd4j.matmul(qh, kr, null, false, true, false);
            INDArray o = Nd4j.matmul(p.reshape('c', 1, h, t, t), vr, null, false, false, false);
            INDArray ot = o.permute(0, 2, 1, 3).dup('c');
            for (INDArray x : new INDArray[] {qh, kr, vr, s, o, ot}) {
                x.close();
            }
        };
        for (int round = 0; round < 3; round++) {
            for (Map.Entry<String, Runnable> e : Map.of("grouped", grouped, "per-head", perHead, "batched", batched)
                    .entrySet()) {
                for (int i = 0; i < 5; i++) {
                    e.getValue().run();
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    e.getValue().run();
                }
                double ms = (System.nanoTime() - t0) / 1e6 / reps;
                System.out.println(String.format(Locale.ROOT, "{\"variant\": \"%s\", \"heads\": %d, \"kv\": %d, \"seq\": %d,"
                        + " \"ms\": %.3f, \"threads\": \"%s\"}", e.getKey(), h, kv, t, ms, System.getenv("OMP_NUM_THREADS")));
            }
        }
    }
}
