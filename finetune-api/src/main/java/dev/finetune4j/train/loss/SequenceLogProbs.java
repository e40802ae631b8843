package dev.finetune4j.train.loss;

import java.util.Arrays;

/**
 * One model's per-sequence statistics over the rows of a batch: the sum of the log-probabilities of the label
 * tokens (labels ≠ −100, after the shift) and how many label tokens there are. The average log-prob of a row
 * is {@code sum / count} (FORMATS.md §G: {@code logπ(y)} and {@code avg(y)}).
 *
 * <p>Immutable; the arrays are copied in and out.
 */
public final class SequenceLogProbs {
    private final double[] sums;
    private final int[] tokenCounts;

    /**
     * @param sums        per row, the sum of label-token log-probs (finite; ≤ 0 up to rounding)
     * @param tokenCounts per row, the number of label tokens (at least 1: a row without label tokens has no
     *                    log-probability; the encoder must drop such examples)
     */
    public SequenceLogProbs(double[] sums, int[] tokenCounts) {
        if (sums.length != tokenCounts.length) {
            throw new IllegalArgumentException("sums has " + sums.length + " rows but tokenCounts has "
                    + tokenCounts.length);
        }
        if (sums.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one row");
        }
        for (int i = 0; i < sums.length; i++) {
            if (!Double.isFinite(sums[i])) {
                throw new IllegalArgumentException("log-prob sum of row " + i + " is " + sums[i]
                        + " (the model's output is not finite)");
            }
            if (tokenCounts[i] < 1) {
                throw new IllegalArgumentException("row " + i + " has " + tokenCounts[i]
                        + " label tokens; every sequence needs at least one (drop examples whose answer was cut off)");
            }
        }
        this.sums = sums.clone();
        this.tokenCounts = tokenCounts.clone();
    }

    /** Number of rows. */
    public int size() {
        return sums.length;
    }

    /** Sum of label-token log-probs of row {@code i}. */
    public double sum(int i) {
        return sums[i];
    }

    /** Number of label tokens of row {@code i}. */
    public int tokenCount(int i) {
        return tokenCounts[i];
    }

    /** Average label-token log-prob of row {@code i}: {@code sum(i) / tokenCount(i)}. */
    public double average(int i) {
        return sums[i] / tokenCounts[i];
    }

    /** A copy of the sums. */
    public double[] sums() {
        return sums.clone();
    }

    /** A copy of the token counts. */
    public int[] tokenCounts() {
        return tokenCounts.clone();
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive). */
    public SequenceLogProbs rows(int from, int to) {
        return new SequenceLogProbs(Arrays.copyOfRange(sums, from, to), Arrays.copyOfRange(tokenCounts, from, to));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SequenceLogProbs s && Arrays.equals(sums, s.sums) && Arrays.equals(tokenCounts, s.tokenCounts);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(sums) + Arrays.hashCode(tokenCounts);
    }

    @Override
    public String toString() {
        return "SequenceLogProbs" + Arrays.toString(sums) + " over " + Arrays.toString(tokenCounts) + " tokens";
    }
}
