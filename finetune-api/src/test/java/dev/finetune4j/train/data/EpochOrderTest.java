package dev.finetune4j.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EpochOrderTest {

    @Test
    void eachEpochIsASeededPermutation() {
        EpochOrder o = new EpochOrder(50, 42, true);
        int[] e0 = o.order(0);
        int[] e1 = o.order(1);
        assertArrayEquals(e0, new EpochOrder(50, 42, true).order(0), "same seed, same order");
        assertFalse(Arrays.equals(e0, e1), "epochs differ");
        assertFalse(Arrays.equals(e0, new EpochOrder(50, 43, true).order(0)), "seeds differ");
        int[] sorted = e1.clone();
        Arrays.sort(sorted);
        int[] expected = new int[50];
        Arrays.setAll(expected, i -> i);
        assertArrayEquals(expected, sorted, "a permutation: every example once");
    }

    @Test
    void disabledShufflingKeepsFileOrder() {
        assertArrayEquals(new int[] {0, 1, 2, 3}, new EpochOrder(4, 42, false).order(3));
    }
}
