package dev.finetune4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Central finite differences in DOUBLE against a hand-written backward pass. Every layer and loss with a
 * hand-written backward gets one of these (../shared/docs/ND4J-NOTES.md: silent wrong gradients train
 * without error).
 *
 * <p>Typical use: build the layer in DOUBLE, pick a random upstream gradient {@code R}, define
 * {@code L = sum(forward(x) ⊙ R)}, run backward with {@code R}, then check every input and parameter.
 */
public final class GradientCheck {
    private GradientCheck() {
    }

    /** Default step; with DOUBLE, central differences are accurate to about 1e-9 relative at this step. */
    public static final double EPS = 1e-6;

    /**
     * Perturbs entries of {@code x} in place (restoring them), re-evaluates {@code loss} and compares the
     * numeric derivative with {@code analytic}. Checks all entries when there are at most
     * {@code maxEntries}, else a seeded random sample of that many.
     *
     * @return the largest relative error seen, {@code |a-n| / max(1e-8, |a|+|n|)}
     */
    public static double check(String what, DoubleSupplier loss, INDArray x, INDArray analytic, int maxEntries,
                               double tolerance) {
        return check(what, loss, x, analytic, maxEntries, tolerance, 1e-10);
    }

    /**
     * {@link #check(String, DoubleSupplier, INDArray, INDArray, int, double)} where entries whose analytic and
     * numeric values differ by less than {@code absoluteFloor} also pass: central differences of a loss of size L
     * carry about {@code L·1e-16/EPS} of round-off, which dominates the relative error of near-zero entries in
     * whole-model checks.
     */
    public static double check(String what, DoubleSupplier loss, INDArray x, INDArray analytic, int maxEntries,
                               double tolerance, double absoluteFloor) {
        assertEquals(DataType.DOUBLE, x.dataType(), what + ": gradient checks run in DOUBLE");
        assertTrue(Arrays.equals(x.shape(), analytic.shape()),
                what + ": analytic gradient shape " + Arrays.toString(analytic.shape()) + " != "
                        + Arrays.toString(x.shape()));
        INDArray flatX = x.reshape(x.length());
        INDArray flatG = analytic.dup().reshape(analytic.length());
        long n = flatX.length();
        Random random = new Random(42);
        int count = (int) Math.min(n, maxEntries);
        double worst = 0;
        String worstAt = "";
        for (int k = 0; k < count; k++) {
            long i = n <= maxEntries ? k : (long) (random.nextDouble() * n);
            double orig = flatX.getDouble(i);
            flatX.putScalar(i, orig + EPS);
            double plus = loss.getAsDouble();
            flatX.putScalar(i, orig - EPS);
            double minus = loss.getAsDouble();
            flatX.putScalar(i, orig);
            double numeric = (plus - minus) / (2 * EPS);
            double a = flatG.getDouble(i);
            double err = Math.abs(a - numeric) / Math.max(1e-8, Math.abs(a) + Math.abs(numeric));
            if (Math.abs(a - numeric) < absoluteFloor) {
                err = 0; // both (near) zero
            }
            if (err > worst) {
                worst = err;
                worstAt = "entry " + i + ": analytic " + a + ", numeric " + numeric;
            }
        }
        assertTrue(worst <= tolerance, what + ": relative error " + worst + " > " + tolerance + " at " + worstAt);
        return worst;
    }

    /** {@link #check} with all entries up to 200 and tolerance 1e-6. */
    public static double check(String what, DoubleSupplier loss, INDArray x, INDArray analytic) {
        return check(what, loss, x, analytic, 200, 1e-6);
    }

    /** {@code sum(y ⊙ r)}: the scalar whose gradient with respect to {@code y} is {@code r}. */
    public static double dot(INDArray y, INDArray r) {
        return y.mul(r).sumNumber().doubleValue();
    }
}
