package dev.finetune4j.train.optim;

import dev.finetune4j.nn.Parameter;
import java.util.Collection;

/** Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_} (L2 norm over all gradients). */
public final class GradientClipping {
    private GradientClipping() {
    }

    /** √(Σ‖g‖²) over the parameters' gradients (parameters without one count as zero). */
    public static double globalNorm(Collection<Parameter> parameters) {
        double sum = 0;
        for (Parameter p : parameters) {
            if (p.grad() != null) {
                double n = p.grad().norm2Number().doubleValue();
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
                        p.grad().muli(coef);
                    }
                }
            }
        }
        return norm;
    }
}
