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
