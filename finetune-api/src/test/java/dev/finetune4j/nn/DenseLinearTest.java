package dev.finetune4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.finetune4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DenseLinearTest {

    @Test
    void forwardIsXTimesWTransposedPlusBias() {
        INDArray w = Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, 6}});
        Parameter b = new Parameter("l.bias", Nd4j.createFromArray(0.5f, -1f), false);
        DenseLinear linear = new DenseLinear("l", new DenseWeight(new Parameter("l.weight", w, false)), b);
        INDArray y = linear.forward(Nd4j.createFromArray(new float[][] {{1, 0, -1}, {2, 1, 0}}), false);
        assertArrayEquals(new float[] {-2 + 0.5f, -2 - 1, 4 + 0.5f, 13 - 1}, y.data().asFloat(), 1e-6f);
    }

    /** A wide layer takes the column-major product + tiled copy path for dx; it must equal dy·W exactly. */
    @Test
    void inputGradientOfAWideLayerEqualsTheProduct() {
        Nd4j.getRandom().setSeed(3);
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            for (long[] outIn : new long[][] {{2100, 70}, {70, 2100}}) {
                INDArray w = Nd4j.randn(dt, outIn[0], outIn[1]);
                DenseLinear linear = new DenseLinear("l", new DenseWeight(new Parameter("l.weight", w, false)), null);
                INDArray x = Nd4j.randn(dt, 67, outIn[1]);
                INDArray dy = Nd4j.randn(dt, 67, outIn[0]);
                linear.forward(x, true);
                INDArray dx = linear.backward(dy);
                INDArray want = dy.mmul(w);
                double tol = dt == DataType.DOUBLE ? 1e-10 : 1e-3;
                assertEquals(0, want.sub(dx).amaxNumber().doubleValue(), tol);
                assertEquals('c', dx.ordering());
            }
        }
    }

    @Test
    void copyColumnMajorToRowMajorKeepsEveryElement() {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            INDArray c = Nd4j.rand(dt, 130, 71);
            INDArray f = c.dup('f');
            INDArray out = Nd4j.create(dt, 130, 71);
            DirectRows.copyColumnMajorToRowMajor(f, out);
            assertEquals(c, out);
        }
    }

    @Test
    void directRowsOfAColumnBlockReadAndWriteOnlyThatBlock() {
        INDArray m = Nd4j.arange(0, 24).castTo(DataType.FLOAT).reshape(4, 6);
        INDArray block = m.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 5));
        DirectRows rows = DirectRows.of(block);
        assertEquals(4, rows.rows());
        assertEquals(3, rows.cols());
        float[] r = new float[3];
        rows.read(2, r);
        assertArrayEquals(new float[] {14, 15, 16}, r);
        double[] d = {-1, -2, -3};
        rows.write(3, d);
        assertArrayEquals(new float[] {18, 19, -1, -2, -3, 23}, m.getRow(3).toFloatVector());
        DirectRows.fill(m, 0.5);
        assertEquals(12.0, m.sumNumber().doubleValue(), 0);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Nd4j.getRandom().setSeed(7);
        Parameter w = new Parameter("l.weight", Nd4j.randn(DataType.DOUBLE, 5, 4), true);
        Parameter b = new Parameter("l.bias", Nd4j.randn(DataType.DOUBLE, 5), true);
        DenseLinear linear = new DenseLinear("l", new DenseWeight(w), b);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 3, 4);
        INDArray r = Nd4j.randn(DataType.DOUBLE, 3, 5);

        linear.forward(x, true);
        INDArray dx = linear.backward(r);

        GradientCheck.check("dx", () -> GradientCheck.dot(linear.forward(x, false), r), x, dx);
        GradientCheck.check("dW", () -> GradientCheck.dot(linear.forward(x, false), r), w.value(), w.grad());
        GradientCheck.check("db", () -> GradientCheck.dot(linear.forward(x, false), r), b.value(), b.grad());
    }

    @Test
    void frozenWeightGetsNoGradient() {
        Parameter w = new Parameter("l.weight", Nd4j.randn(DataType.DOUBLE, 5, 4), false);
        DenseLinear linear = new DenseLinear("l", new DenseWeight(w), null);
        linear.forward(Nd4j.randn(DataType.DOUBLE, 3, 4), true);
        INDArray dx = linear.backward(Nd4j.randn(DataType.DOUBLE, 3, 5));
        assertNull(w.grad());
        assertEquals(4, dx.size(1));
    }

    @Test
    void vocabularySizedInputGradientEqualsThePlainProduct() {
        Nd4j.getRandom().setSeed(3);
        Parameter w = new Parameter("lm_head.weight", Nd4j.randn(DataType.FLOAT, 30_000, 6), false);
        DenseLinear linear = new DenseLinear("lm_head", new DenseWeight(w), null);
        INDArray x = Nd4j.randn(DataType.FLOAT, 5, 6);
        INDArray dy = Nd4j.randn(DataType.FLOAT, 5, 30_000);
        linear.forward(x, true);
        INDArray dx = linear.backward(dy);
        INDArray want = Nd4j.gemm(dy, w.value(), false, false);
        // sums of 30,000 products of size ~170: float rounding differs by summation order, ~1e-5 relative
        double scale = want.amaxNumber().doubleValue();
        assertEquals(0.0, dx.sub(want).amaxNumber().doubleValue() / scale, 2e-5);
        assertEquals('c', dx.ordering());
    }
}
