package dev.finetune4j.train.data;

import java.util.SplittableRandom;

/**
 * The order in which a training run visits its examples: a seeded permutation per epoch (HuggingFace's random
 * sampler, reseeded per epoch), or the file order when shuffling is disabled. The permutation of epoch e depends
 * only on the seed and e, so a resumed run visits exactly what the uninterrupted run would have.
 */
public final class EpochOrder {
    private final int size;
    private final long seed;
    private final boolean shuffle;

    public EpochOrder(int size, long seed, boolean shuffle) {
        this.size = size;
        this.seed = seed;
        this.shuffle = shuffle;
    }

    /** Indices of the examples in the order epoch {@code epoch} (0-based) visits them. */
    public int[] order(int epoch) {
        int[] idx = new int[size];
        for (int i = 0; i < size; i++) {
            idx[i] = i;
        }
        if (shuffle) {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
            for (int i = size - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
        }
        return idx;
    }
}
