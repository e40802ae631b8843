package dev.finetune4j.encoding;

import dev.finetune4j.data.Batch;
import dev.finetune4j.data.EncodedExample;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Collates encoded rows into a {@link Batch}: right padding to the longest row (rounded up to
 * {@code padToMultipleOf}), pad id on padding, labels -100, attention mask 0 on padding and 1 (or the packed segment
 * id) elsewhere, position ids 0, 1, 2… per example (0 on padding).
 */
public final class Batcher {
    private final int padId;
    private final int padToMultipleOf;

    public Batcher(int padId, int padToMultipleOf) {
        if (padToMultipleOf < 1) {
            throw new IllegalArgumentException("padToMultipleOf must be at least 1");
        }
        this.padId = padId;
        this.padToMultipleOf = padToMultipleOf;
    }

    public int padId() {
        return padId;
    }

    private int paddedLength(int max) {
        return (max + padToMultipleOf - 1) / padToMultipleOf * padToMultipleOf;
    }

    public Batch collate(List<EncodedExample> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("cannot collate an empty batch");
        }
        int max = 0;
        for (EncodedExample e : rows) {
            max = Math.max(max, e.length());
        }
        int len = Math.max(1, paddedLength(max));
        int[][] ids = new int[rows.size()][len];
        int[][] labels = new int[rows.size()][len];
        int[][] mask = new int[rows.size()][len];
        int[][] pos = new int[rows.size()][len];
        for (int r = 0; r < rows.size(); r++) {
            int[] ei = rows.get(r).inputIds();
            int[] el = rows.get(r).labels();
            Arrays.fill(ids[r], padId);
            Arrays.fill(labels[r], EncodedExample.IGNORE_INDEX);
            System.arraycopy(ei, 0, ids[r], 0, ei.length);
            System.arraycopy(el, 0, labels[r], 0, el.length);
            for (int t = 0; t < ei.length; t++) {
                mask[r][t] = 1;
                pos[r][t] = t;
            }
        }
        return new Batch(Nd4j.createFromArray(ids), Nd4j.createFromArray(labels), Nd4j.createFromArray(mask),
                Nd4j.createFromArray(pos));
    }

    public Batch collatePacked(List<PackedSequence> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("cannot collate an empty batch");
        }
        int max = 0;
        for (PackedSequence p : rows) {
            max = Math.max(max, p.length());
        }
        int len = paddedLength(max);
        int[][] ids = new int[rows.size()][len];
        int[][] labels = new int[rows.size()][len];
        int[][] mask = new int[rows.size()][len];
        int[][] pos = new int[rows.size()][len];
        for (int r = 0; r < rows.size(); r++) {
            PackedSequence p = rows.get(r);
            Arrays.fill(ids[r], padId);
            Arrays.fill(labels[r], EncodedExample.IGNORE_INDEX);
            System.arraycopy(p.inputIds(), 0, ids[r], 0, p.length());
            System.arraycopy(p.labels(), 0, labels[r], 0, p.length());
            System.arraycopy(p.segmentIds(), 0, mask[r], 0, p.length());
            System.arraycopy(p.positionIds(), 0, pos[r], 0, p.length());
        }
        return new Batch(Nd4j.createFromArray(ids), Nd4j.createFromArray(labels), Nd4j.createFromArray(mask),
                Nd4j.createFromArray(pos));
    }

    /** Chosen rows first, then rejected rows (LLaMA-Factory's PairwiseDataCollatorWithPadding). */
    public Batch collatePairs(List<EncodedPair> pairs) {
        List<EncodedExample> rows = new java.util.ArrayList<>(pairs.size() * 2);
        pairs.forEach(p -> rows.add(p.chosen()));
        pairs.forEach(p -> rows.add(p.rejected()));
        return collate(rows);
    }
}
