package dev.finetune4j.train.loss;

import java.util.Arrays;
import java.util.Objects;

/**
 * The sequence statistics of a KTO batch (stage {@code kto}), in the batch's row layout: each row is one
 * example whose answer is desirable ({@code kto_tag} true) or undesirable.
 *
 * <p>Besides the policy statistics of the rows (with gradient) and the reference model's sums over the same
 * label tokens, KTO needs the log-prob sums of the KL rows: the same prompts paired with mismatched answers
 * (LLaMA-Factory pairs each prompt with the previous example's answer), under the policy and under the
 * reference, both computed without gradient. They estimate {@code z = max(0, mean(policyKl − referenceKl))}.
 */
public final class KtoSequences {
    private final SequenceLogProbs policy;
    private final boolean[] desirable;
    private final double[] reference;
    private final double[] policyKl;
    private final double[] referenceKl;

    /**
     * @param policy      policy statistics of the rows
     * @param desirable   per row, whether the answer is desirable
     * @param reference   reference model's log-prob sums of the rows
     * @param policyKl    policy log-prob sums of the KL rows (no gradient flows to them)
     * @param referenceKl reference log-prob sums of the KL rows, same length as {@code policyKl}
     */
    public KtoSequences(SequenceLogProbs policy, boolean[] desirable, double[] reference, double[] policyKl,
                        double[] referenceKl) {
        this.policy = Objects.requireNonNull(policy, "policy");
        int n = policy.size();
        check("desirable", Objects.requireNonNull(desirable, "desirable").length, n);
        check("reference", Objects.requireNonNull(reference, "reference").length, n);
        Objects.requireNonNull(policyKl, "policyKl");
        Objects.requireNonNull(referenceKl, "referenceKl");
        if (policyKl.length == 0 || policyKl.length != referenceKl.length) {
            throw new IllegalArgumentException("policyKl and referenceKl need the same, non-zero number of rows, got "
                    + policyKl.length + " and " + referenceKl.length);
        }
        finite("reference", reference);
        finite("policyKl", policyKl);
        finite("referenceKl", referenceKl);
        this.desirable = desirable.clone();
        this.reference = reference.clone();
        this.policyKl = policyKl.clone();
        this.referenceKl = referenceKl.clone();
    }

    private static void check(String what, int length, int rows) {
        if (length != rows) {
            throw new IllegalArgumentException(what + " has " + length + " rows but policy has " + rows);
        }
    }

    private static void finite(String what, double[] v) {
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException(what + " log-prob sum of row " + i + " is " + v[i]);
            }
        }
    }

    /** Number of rows. */
    public int size() {
        return policy.size();
    }

    public SequenceLogProbs policy() {
        return policy;
    }

    public boolean desirable(int row) {
        return desirable[row];
    }

    public double referenceSum(int row) {
        return reference[row];
    }

    /** Number of KL rows. */
    public int klSize() {
        return policyKl.length;
    }

    public double policyKlSum(int i) {
        return policyKl[i];
    }

    public double referenceKlSum(int i) {
        return referenceKl[i];
    }

    @Override
    public String toString() {
        return "KtoSequences{policy=" + policy + ", desirable=" + Arrays.toString(desirable) + ", reference="
                + Arrays.toString(reference) + ", policyKl=" + Arrays.toString(policyKl) + ", referenceKl="
                + Arrays.toString(referenceKl) + "}";
    }
}
