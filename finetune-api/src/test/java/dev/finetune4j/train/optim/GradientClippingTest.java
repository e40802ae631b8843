package dev.finetune4j.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune4j.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class GradientClippingTest {
    static Parameter withGrad(String name, double... g) {
        Parameter p = new Parameter(name, Nd4j.zeros(DataType.DOUBLE, g.length), true);
        p.accumulateGrad(Nd4j.createFromArray(g));
        return p;
    }

    @Test
    void globalNormOverAllGradientsAndTorchsCoefficient() {
        Parameter a = withGrad("a", 3, 0);
        Parameter b = withGrad("b", 0, 4, 12);
        Parameter none = new Parameter("c", Nd4j.zeros(DataType.DOUBLE, 2), true);
        double norm = GradientClipping.clip(List.of(a, b, none), 6.5);
        assertEquals(13, norm, 1e-12);
        double coef = 6.5 / (13 + 1e-6);
        assertEquals(3 * coef, a.grad().getDouble(0), 1e-14);
        assertEquals(12 * coef, b.grad().getDouble(2), 1e-14);
        assertEquals(6.5, GradientClipping.globalNorm(List.of(a, b)), 1e-6);
    }

    @Test
    void belowTheLimitAndZeroLimitLeaveGradientsAlone() {
        Parameter a = withGrad("a", 3, 4);
        assertEquals(5, GradientClipping.clip(List.of(a), 5.0), 1e-12); // coef 5/(5+1e-6) < 1: torch scales too
        assertEquals(3 * 5 / (5 + 1e-6), a.grad().getDouble(0), 1e-14);
        Parameter b = withGrad("b", 3, 4);
        assertEquals(5, GradientClipping.clip(List.of(b), 10.0), 1e-12);
        assertEquals(3, b.grad().getDouble(0));
        Parameter c = withGrad("c", 30, 40);
        assertEquals(50, GradientClipping.clip(List.of(c), 0), 1e-12);
        assertEquals(30, c.grad().getDouble(0));
    }
}
