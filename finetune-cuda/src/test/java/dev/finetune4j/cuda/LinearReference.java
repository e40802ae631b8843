package dev.finetune4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.DenseWeight;
import dev.finetune4j.nn.Parameter;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The same small computations on whatever backend runs, checked against plain-Java double arithmetic. The CPU
 * tests and the GPU tests compare against this one reference, so a GPU that passes gives the CPU's numbers.
 */
final class LinearReference {
    static final int ROWS = 6;
    static final int IN = 40;
    static final int OUT = 24;

    final double[][] x = random(ROWS, IN, 1);
    final double[][] w = random(OUT, IN, 2);
    final double[] b = random(1, OUT, 3)[0];
    final double[][] dy = random(ROWS, OUT, 4);

    static double[][] random(int rows, int cols, long seed) {
        Random r = new Random(seed);
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = r.nextInt(2001) / 1000.0 - 1.0; // in [-1, 1], seeded
            }
        }
        return m;
    }

    /** {@code a·b} (or with either transposed) in double. */
    static double[][] matmul(double[][] a, boolean transA, double[][] b, boolean transB) {
        int m = transA ? a[0].length : a.length;
        int k = transA ? a.length : a[0].length;
        int n = transB ? b.length : b[0].length;
        double[][] c = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (transA ? a[p][i] : a[i][p]) * (transB ? b[j][p] : b[p][j]);
                }
                c[i][j] = s;
            }
        }
        return c;
    }

    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    static INDArray array(double[][] m, DataType type) {
        return Nd4j.createFromArray(m).castTo(type);
    }

    static double[] flat(double[][] m) {
        double[] out = new double[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, out, i * m[0].length, m[0].length);
        }
        return out;
    }

    static double[] values(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /**
     * Runs a trainable {@link DenseLinear} forward and backward in {@code type} on the current backend and checks
     * y = x·Wᵀ + b, dx = dy·W, dW = dyᵀ·x, db = Σ dy against the double reference, to {@code tolerance}
     * (absolute, on values of order 1-10).
     */
    void checkDenseLinear(DataType type, double tolerance) {
        Parameter wp = new Parameter("l.weight", array(w, type), true);
        Parameter bp = new Parameter("l.bias", Nd4j.createFromArray(b).castTo(type), true);
        DenseLinear linear = new DenseLinear("l", new DenseWeight(wp), bp);

        INDArray y = linear.forward(array(x, type), true);
        INDArray dx = linear.backward(array(dy, type));

        double[][] yRef = matmul(x, false, w, true);
        for (double[] row : yRef) {
            for (int j = 0; j < OUT; j++) {
                row[j] += b[j];
            }
        }
        double[] dbRef = new double[OUT];
        for (double[] row : dy) {
            for (int j = 0; j < OUT; j++) {
                dbRef[j] += row[j];
            }
        }
        assertEquals(type, y.dataType());
        assertArrayEquals(new long[] {ROWS, OUT}, y.shape());
        assertArrayEquals(flat(yRef), values(y), tolerance, "y");
        assertArrayEquals(flat(matmul(dy, false, w, false)), values(dx), tolerance, "dx");
        assertArrayEquals(flat(matmul(dy, true, x, false)), values(wp.grad()), tolerance, "dW");
        assertArrayEquals(dbRef, values(bp.grad()), tolerance, "db");
    }

    /** {@code Nd4j.gemm} with every transpose combination, against the reference. */
    static void checkGemm(DataType type, double tolerance) {
        double[][] a = random(33, 47, 11);
        double[][] b = random(47, 29, 12);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                INDArray A = array(ta ? transpose(a) : a, type);
                INDArray B = array(tb ? transpose(b) : b, type);
                INDArray C = Nd4j.gemm(A, B, ta, tb);
                assertEquals(type, C.dataType());
                assertArrayEquals(flat(matmul(a, false, b, false)), values(C), tolerance,
                        "gemm transA=" + ta + " transB=" + tb + " in " + type);
            }
        }
    }
}
