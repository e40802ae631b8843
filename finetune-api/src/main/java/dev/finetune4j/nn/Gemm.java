package dev.finetune4j.nn;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code c = alpha·op(a)·op(b) + beta·c}: every matrix product of the engine goes through here.
 *
 * <p>Why not {@link Nd4j#gemm} alone: on the CPU backend (1.0.0-M2.1) it runs as a custom op ({@code Mmul}) whose
 * set-up costs far more than the product on the engine's shapes — measured on 2 threads, {@code [256, 512]·[512, 512]}
 * 0.91 ms through {@code Nd4j.gemm} vs 0.48 ms calling the same OpenBLAS {@code cblas_sgemm} directly, and a LoRA
 * thin product {@code [256, 512]·[512, 8]} 0.17 vs 0.04 ms; a training step makes ~100 products per layer. So on the
 * CPU backend, for FLOAT and DOUBLE 2-D arrays with a unit stride on one side (row- or column-major, views
 * included), this calls the BLAS that ND4J itself loaded ({@code org.bytedeco.openblas}) on the arrays' memory.
 * Anything else (another backend, other types, other strides) goes to {@code Nd4j.gemm}, which asks a dense
 * {@code c}.
 *
 * <p>The direct path is chosen once, after a self-check against {@code Nd4j.gemm} on views in both layouts;
 * {@code -Dfinetune4j.gemm=nd4j} turns it off.
 */
public final class Gemm {
    private static final Logger LOG = LoggerFactory.getLogger(Gemm.class);
    /** Whether products go straight to the CPU BLAS (decided once). */
    private static final boolean DIRECT = chooseDirect();

    private Gemm() {
    }

    /** {@code c = alpha·op(a)·op(b) + beta·c} (2-D arrays; {@code op} transposes when asked). */
    public static void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha,
                            double beta) {
        if (DIRECT && OpenBlasGemm.gemm(a, b, c, transA, transB, alpha, beta)) {
            return;
        }
        Nd4j.gemm(a, b, c, transA, transB, alpha, beta);
    }

    /**
     * OpenBLAS runs a product of {@code m·n·k} up to this on the calling thread (its {@code SMP_THRESHOLD_MIN ·
     * GEMM_MULTITHREAD_THRESHOLD}); callers that split work over their own threads keep each product under it.
     */
    public static final long SINGLE_THREAD_MNK = 65_536L * 4;

    /**
     * A row-major FLOAT product on raw memory, {@code c = alpha·op(a)·op(b) + beta·c} with {@code op(a) [m, k]},
     * {@code op(b) [k, n]} and leading dimensions {@code lda, ldb, ldc} — for kernels that walk blocks of
     * arrays they own (see {@link #address}) without making an ND4J view per block. Unchecked: addresses and sizes
     * must lie inside the arrays. Only when {@link #direct()}.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
                             long b, int ldb, float beta, long c, int ldc) {
        if (!DIRECT) {
            throw new IllegalStateException("raw products need the direct BLAS path (Gemm.direct())");
        }
        OpenBlasGemm.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** The address of element 0 of {@code x} (its buffer's start plus its offset), for {@link #sgemm}. */
    public static long address(INDArray x) {
        return x.data().address() + x.offset() * x.dataType().width();
    }

    /** Whether products skip ND4J's op layer and call the CPU BLAS directly (see the class comment). */
    public static boolean direct() {
        return DIRECT;
    }

    private static boolean chooseDirect() {
        if ("nd4j".equalsIgnoreCase(System.getProperty("finetune4j.gemm", ""))) {
            return false;
        }
        String backend = Nd4j.getBackend().getClass().getName();
        if (!backend.contains("Cpu")) {
            return false;
        }
        try {
            Class.forName("org.bytedeco.openblas.global.openblas_nolapack");
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
        try {
            for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                if (!selfCheck(t)) {
                    LOG.warn("direct BLAS products disagree with Nd4j.gemm on {}; using Nd4j.gemm", t);
                    return false;
                }
            }
            return true;
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("direct BLAS products unavailable ({}); using Nd4j.gemm", e.toString());
            return false;
        }
    }

    /** A product of offset views (row- and column-major, both transposes) equals Nd4j.gemm's. */
    private static boolean selfCheck(DataType t) {
        INDArray big = Nd4j.linspace(t, 1, 0.01, 400);
        INDArray a = Nd4j.create(big.data(), new long[] {3, 4}, new long[] {5, 1}, 7, 'c');     // row-major view
        INDArray b = Nd4j.create(big.data(), new long[] {5, 4}, new long[] {1, 6}, 40, 'f');    // column-major view
        for (boolean tb : new boolean[] {false, true}) {
            INDArray bb = tb ? b : b.transpose();
            INDArray expected = Nd4j.create(t, 3, 5).assign(0.5);
            Nd4j.gemm(a, bb.dup(), expected, false, tb, 0.7, 0.3);
            INDArray cBuf = Nd4j.create(t, 40).assign(0.5);
            INDArray c = Nd4j.create(cBuf.data(), new long[] {3, 5}, new long[] {1, 4}, 2, 'f');  // column-major view
            if (!OpenBlasGemm.gemm(a, bb, c, false, tb, 0.7, 0.3)) {
                return false;
            }
            if (!c.equalsWithEps(expected, t == DataType.FLOAT ? 1e-4 : 1e-10)) {
                return false;
            }
        }
        return true;
    }

    static String describe(INDArray x) {
        return Arrays.toString(x.shape()) + " strides " + Arrays.toString(x.stride()) + " " + x.dataType();
    }
}
