package dev.finetune4j.train.loss;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The sequence statistics of a pairwise batch (stage {@code dpo}), in the batch's row layout: rows
 * {@code 0 … n−1} are the chosen answers and rows {@code n … 2n−1} the rejected answers of the same pairs
 * (LLaMA-Factory's layout, FORMATS.md §G: first half chosen).
 *
 * <p>{@code policy} holds the trained model's label log-prob sums and token counts. {@code reference}, when
 * present, holds the reference model's sums over the same label tokens (so the same counts); the engine
 * computes it without gradient, and only when the loss {@link SequenceLoss#needsReference() needs it}.
 */
public final class PairedSequences {
    private final SequenceLogProbs policy;
    private final double[] reference;

    private PairedSequences(SequenceLogProbs policy, double[] reference) {
        this.policy = Objects.requireNonNull(policy, "policy");
        if (policy.size() % 2 != 0) {
            throw new IllegalArgumentException("a pairwise batch has an even number of rows (chosen…, rejected…), got "
                    + policy.size());
        }
        if (reference != null) {
            if (reference.length != policy.size()) {
                throw new IllegalArgumentException("reference has " + reference.length + " rows but policy has "
                        + policy.size());
            }
            for (int i = 0; i < reference.length; i++) {
                if (!Double.isFinite(reference[i])) {
                    throw new IllegalArgumentException("reference log-prob sum of row " + i + " is " + reference[i]);
                }
            }
            reference = reference.clone();
        }
        this.reference = reference;
    }

    /** Policy statistics only (reference-free losses: ORPO, SimPO). */
    public static PairedSequences of(SequenceLogProbs policy) {
        return new PairedSequences(policy, null);
    }

    /** Policy statistics and the reference model's sums, both in the row layout [chosen…, rejected…]. */
    public static PairedSequences of(SequenceLogProbs policy, double[] referenceSums) {
        return new PairedSequences(policy, Objects.requireNonNull(referenceSums, "referenceSums"));
    }

    /** Number of pairs n (the batch has 2n rows). */
    public int pairs() {
        return policy.size() / 2;
    }

    /** All rows of the policy: [chosen…, rejected…]. */
    public SequenceLogProbs policy() {
        return policy;
    }

    /** Whether reference sums were given. */
    public boolean hasReference() {
        return reference != null;
    }

    /** A copy of the reference sums, rows [chosen…, rejected…], if given. */
    public Optional<double[]> reference() {
        return Optional.ofNullable(reference).map(double[]::clone);
    }

    /** Row of the chosen answer of pair {@code i}. */
    public int chosenRow(int i) {
        return i;
    }

    /** Row of the rejected answer of pair {@code i}. */
    public int rejectedRow(int i) {
        return pairs() + i;
    }

    /** Reference sum of row {@code row}; fails with a clear message when no reference was given. */
    public double referenceSum(int row) {
        if (reference == null) {
            throw new IllegalStateException("this loss needs the reference model's log-probs, but the batch has none");
        }
        return reference[row];
    }

    @Override
    public String toString() {
        return "PairedSequences{pairs=" + pairs() + ", policy=" + policy
                + (reference == null ? "" : ", reference=" + Arrays.toString(reference)) + "}";
    }
}
