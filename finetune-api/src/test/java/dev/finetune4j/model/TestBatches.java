package dev.finetune4j.model;

import dev.finetune4j.data.Batch;
import org.nd4j.linalg.factory.Nd4j;

/** Builds {@link Batch}es for tests. */
public final class TestBatches {
    private TestBatches() {
    }

    public static Batch of(int[][] ids, int[][] labels, int[][] mask, int[][] positions) {
        return new Batch(Nd4j.createFromArray(ids), Nd4j.createFromArray(labels), Nd4j.createFromArray(mask),
                Nd4j.createFromArray(positions));
    }

    /** Rows without padding: labels = ids, mask 1, positions 0..T-1. */
    public static Batch plain(int[][] ids) {
        int b = ids.length;
        int t = ids[0].length;
        int[][] mask = new int[b][t];
        int[][] pos = new int[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                mask[i][j] = 1;
                pos[i][j] = j;
            }
        }
        return of(ids, ids, mask, pos);
    }
}
