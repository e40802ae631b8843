package dev.finetune4j.encoding;

import dev.finetune4j.data.EncodedExample;
import java.util.Arrays;

/**
 * Several encoded examples packed into one row (LLaMA-Factory {@code packing}), padded to
 * {@code cutoff_len + 1}. {@code segmentIds} number the examples 1, 2, 3… and hold 0 on padding (with
 * {@code neat_packing}; without it every real token has 1), {@code positionIds} restart at 0 for each
 * example. These map one to one onto a {@link dev.finetune4j.data.Batch} row.
 */
public record PackedSequence(int[] inputIds, int[] labels, int[] segmentIds, int[] positionIds) {
    public PackedSequence {
        int n = inputIds.length;
        if (labels.length != n || segmentIds.length != n || positionIds.length != n) {
            throw new IllegalArgumentException("packed arrays must have the same length");
        }
    }

    public int length() {
        return inputIds.length;
    }

    /** Number of examples in the row (the largest segment id). */
    public int exampleCount() {
        int max = 0;
        for (int s : segmentIds) {
            max = Math.max(max, s);
        }
        return max;
    }

    /** The examples of this row, in order, without padding (positions with segment id 0). */
    public java.util.List<EncodedExample> unpack() {
        java.util.List<EncodedExample> out = new java.util.ArrayList<>();
        int start = 0;
        for (int i = 1; i <= length(); i++) {
            boolean boundary = i == length() || positionIds[i] == 0 || segmentIds[i] != segmentIds[start];
            if (boundary) {
                if (segmentIds[start] != 0) {
                    out.add(new EncodedExample(Arrays.copyOfRange(inputIds, start, i), Arrays.copyOfRange(labels, start, i)));
                }
                start = i;
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PackedSequence p && Arrays.equals(inputIds, p.inputIds) && Arrays.equals(labels, p.labels)
                && Arrays.equals(segmentIds, p.segmentIds) && Arrays.equals(positionIds, p.positionIds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(inputIds) * 31 + Arrays.hashCode(labels);
    }

    @Override
    public String toString() {
        return "PackedSequence[length=" + length() + ", examples=" + exampleCount() + "]";
    }
}
