package dev.finetune4j.train.optim;

import dev.finetune4j.nn.DirectRows;
import dev.finetune4j.nn.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;
import java.util.Collection;

/** Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_} (L2 norm over all gradients). */
public final class GradientClipping {
    private GradientClipping() {
    }

    /** √(Σ‖g‖²) over the parameters' gradients (parameters without one count as zero). */
    public static double globalNorm(Collection<Parameter> parameters) {
        double sum = 0;
        for (Parameter p : parameters) {
            INDArray g = p.grad();
            if (g == null) {
                continue;
            }
            if (DirectRows.addressable(g)) {
                sum += sumOfSquares(g);
            } else {
                double n = g.norm2Number().doubleValue();
                sum += n * n;
            }
        }
        return Math.sqrt(sum);
    }

    /**
     * Scales every gradient by {@code min(1, maxNorm / (norm + 1e-6))} (torch's formula) and returns the norm before
     * clipping (what HF logs as {@code grad_norm}). {@code maxNorm <= 0} turns clipping off (the norm is still
     * returned).
     */
    public static double clip(Collection<Parameter> parameters, double maxNorm) {
        double norm = globalNorm(parameters);
        if (maxNorm > 0) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) {
                for (Parameter p : parameters) {
                    if (p.grad() != null) {
                        scale(p.grad(), coef);
                    }
                }
            }
        }
        return norm;
    }

    private static final int BLOCK = 4096;

    /** Σ g² in double, one pass over the gradient's memory (no ND4J op per tensor). */
    private static double sumOfSquares(INDArray g) {
        int n = Math.toIntExact(g.length());
        if (n == 0) {
            return 0;
        }
        DirectRows rows = DirectRows.flat(g, n);
        double[] b = new double[Math.min(BLOCK, n)];
        double s0 = 0;
        double s1 = 0;
        for (int from = 0; from < n; from += b.length) {
            int len = Math.min(b.length, n - from);
            rows.read(0, from, len, b, 0);
            int i = 0;
            for (; i + 1 < len; i += 2) {
                s0 += b[i] * b[i];
                s1 += b[i + 1] * b[i + 1];
            }
            if (i < len) {
                s0 += b[i] * b[i];
            }
        }
        return s0 + s1;
    }

    private static void scale(INDArray g, double coef) {
        if (!DirectRows.addressable(g)) {
            g.muli(coef);
            return;
        }
        int n = Math.toIntExact(g.length());
        if (n == 0) {
            return;
        }
        DirectRows rows = DirectRows.flat(g, n);
        double[] b = new double[Math.min(BLOCK, n)];
        for (int from = 0; from < n; from += b.length) {
            int len = Math.min(b.length, n - from);
            rows.read(0, from, len, b, 0);
            for (int i = 0; i < len; i++) {
                b[i] *= coef;
            }
            rows.write(0, from, len, b, 0);
        }
    }
}
