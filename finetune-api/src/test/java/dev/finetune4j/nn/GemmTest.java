package dev.finetune4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The direct BLAS products equal a plain triple loop on every layout the engine uses. */
class GemmTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(7);

    @Test
    void theCpuBackendTakesTheDirectPath() {
        assertTrue(Gemm.direct(), "the CPU backend with OpenBLAS should use direct products");
    }

    @Test
    void everyLayoutAndTransposeEqualsTheLoop() {
        for (DataType t : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            double tol = t == DataType.FLOAT ? 2e-5 : 1e-12;
            int m = 5;
            int k = 7;
            int n = 3;
            for (int layoutA = 0; layoutA < 3; layoutA++) {
                for (int layoutB = 0; layoutB < 3; layoutB++) {
                    for (int layoutC = 0; layoutC < 3; layoutC++) {
                        for (boolean ta : new boolean[] {false, true}) {
                            for (boolean tb : new boolean[] {false, true}) {
                                double[][] av = random(m, k);
                                double[][] bv = random(k, n);
                                double[][] cv = random(m, n);
                                INDArray a = store(ta ? transpose(av) : av, layoutA, t);
                                INDArray b = store(tb ? transpose(bv) : bv, layoutB, t);
                                INDArray c = store(cv, layoutC, t);
                                boolean done = OpenBlasGemm.gemm(a, b, c, ta, tb, 0.7, 0.3);
                                assertTrue(done, "direct path refused layouts " + layoutA + layoutB + layoutC);
                                String what = t + " layouts " + layoutA + "/" + layoutB + "/" + layoutC + " ta=" + ta
                                        + " tb=" + tb;
                                for (int i = 0; i < m; i++) {
                                    for (int j = 0; j < n; j++) {
                                        double expected = 0.3 * cv[i][j];
                                        for (int p = 0; p < k; p++) {
                                            expected += 0.7 * av[i][p] * bv[p][j];
                                        }
                                        assertEquals(expected, c.getDouble(i, j), tol, what + " at " + i + "," + j);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void rowBlocksOfALargerArrayAreWrittenInPlace() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 6, 4);
        INDArray w = Nd4j.rand(DataType.FLOAT, 3, 4);
        INDArray out = Nd4j.zeros(DataType.FLOAT, 10, 3);
        INDArray block = out.get(NDArrayIndex.interval(2, 8), NDArrayIndex.all());
        Gemm.gemm(x, w, block, false, true, 1.0, 0.0);
        INDArray expected = x.mmul(w.transpose());
        assertTrue(out.get(NDArrayIndex.interval(2, 8), NDArrayIndex.all()).equalsWithEps(expected, 1e-5));
        assertEquals(0.0, out.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all()).sumNumber().doubleValue());
        assertEquals(0.0, out.get(NDArrayIndex.interval(8, 10), NDArrayIndex.all()).sumNumber().doubleValue());
    }

    @Test
    void mismatchedShapesAreRefusedWithTheShapes() {
        INDArray a = Nd4j.zeros(DataType.FLOAT, 2, 3);
        INDArray b = Nd4j.zeros(DataType.FLOAT, 4, 5);
        INDArray c = Nd4j.zeros(DataType.FLOAT, 2, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpenBlasGemm.gemm(a, b, c, false, false, 1, 0));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 5]"), e.getMessage());
    }

    @Test
    void otherTypesFallBackToNd4j() {
        INDArray a = Nd4j.ones(DataType.HALF, 2, 3);
        INDArray b = Nd4j.ones(DataType.HALF, 3, 2);
        INDArray c = Nd4j.zeros(DataType.HALF, 2, 2);
        assertTrue(!OpenBlasGemm.gemm(a, b, c, false, false, 1, 0));
        Gemm.gemm(a, b, c, false, false, 1, 0);
        assertEquals(12.0, c.sumNumber().doubleValue(), 1e-3);
    }

    private static double[][] random(int r, int c) {
        double[][] v = new double[r][c];
        for (double[] row : v) {
            for (int j = 0; j < c; j++) {
                row[j] = RANDOM.nextDouble() * 2 - 1;
            }
        }
        return v;
    }

    private static double[][] transpose(double[][] v) {
        double[][] t = new double[v[0].length][v.length];
        for (int i = 0; i < v.length; i++) {
            for (int j = 0; j < v[0].length; j++) {
                t[j][i] = v[i][j];
            }
        }
        return t;
    }

    /** layout 0: dense row-major; 1: row-major view with a wider row stride and an offset; 2: column-major view. */
    private static INDArray store(double[][] v, int layout, DataType t) {
        int r = v.length;
        int c = v[0].length;
        INDArray buf = Nd4j.create(t, 3L * (r + 2) * (c + 2) + 11).assign(Double.NaN);
        INDArray x = switch (layout) {
            case 0 -> Nd4j.create(t, r, c);
            case 1 -> Nd4j.create(buf.data(), new long[] {r, c}, new long[] {c + 2, 1}, 5, 'c');
            default -> Nd4j.create(buf.data(), new long[] {r, c}, new long[] {1, r + 3}, 3, 'f');
        };
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                x.putScalar(i, j, v[i][j]);
            }
        }
        return x;
    }
}
