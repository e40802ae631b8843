package dev.finetune4j.train.loss;

/**
 * Numerically stable scalar functions for the losses, in double. Every function here is finite for every
 * finite argument (except {@link #log1mexp} at 0, which callers guard).
 */
final class StableMath {
    private StableMath() {
    }

    /** σ(x) = 1 / (1 + e^{-x}), without overflow for large |x|. */
    static double sigmoid(double x) {
        if (x >= 0) {
            return 1.0 / (1.0 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1.0 + e);
    }

    /** softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}); its derivative is σ(x). */
    static double softplus(double x) {
        return Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /** log σ(x) = −softplus(−x). */
    static double logSigmoid(double x) {
        return -softplus(-x);
    }

    /**
     * log(1 − e^a) for a &lt; 0, accurate at both ends (Mächler 2012): {@code log(−expm1(a))} for a near 0,
     * {@code log1p(−exp(a))} for very negative a. Returns −∞ at a = 0 and NaN for a &gt; 0.
     */
    static double log1mexp(double a) {
        return a > -Math.log(2.0) ? Math.log(-Math.expm1(a)) : Math.log1p(-Math.exp(a));
    }
}
