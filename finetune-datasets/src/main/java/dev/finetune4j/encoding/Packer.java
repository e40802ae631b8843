package dev.finetune4j.encoding;

import dev.finetune4j.data.EncodedExample;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * LLaMA-Factory's packing for SFT ({@code packing}/{@code neat_packing}): greedy largest-fit-first bin packing of
 * example lengths into rows of at most {@code cutoffLen} tokens, each row padded to {@code cutoffLen + 1}. Same
 * algorithm and same order of examples within a row as LF's {@code greedy_knapsack}.
 */
public final class Packer {
    private Packer() {
    }

    /** The bins, each a list of lengths, as LF's {@code greedy_knapsack} returns them. */
    public static List<List<Integer>> greedyKnapsack(List<Integer> lengths, int capacity) {
        List<Integer> numbers = new ArrayList<>(lengths);
        Collections.sort(numbers);
        List<List<Integer>> bins = new ArrayList<>();
        while (!numbers.isEmpty()) {
            List<Integer> bin = new ArrayList<>();
            int remaining = capacity;
            while (true) {
                int index = bisectRight(numbers, remaining) - 1; // largest number <= remaining
                if (index < 0) {
                    break;
                }
                remaining -= numbers.get(index);
                bin.add(numbers.remove(index));
            }
            if (bin.isEmpty()) { // only numbers larger than the capacity are left; callers drop those first
                throw new IllegalArgumentException("an example of length " + numbers.get(0)
                        + " does not fit capacity " + capacity);
            }
            bins.add(bin);
        }
        return bins;
    }

    private static int bisectRight(List<Integer> sorted, int x) {
        int lo = 0;
        int hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (x < sorted.get(mid)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /**
     * Packs {@code examples} (those longer than {@code cutoffLen} must already be removed) into rows of exactly
     * {@code cutoffLen + 1} tokens.
     */
    public static List<PackedSequence> pack(List<EncodedExample> examples, int cutoffLen, boolean neat, int padId) {
        List<Integer> lengths = new ArrayList<>(examples.size());
        Map<Integer, Deque<Integer>> byLength = new HashMap<>();
        for (int i = 0; i < examples.size(); i++) {
            int len = examples.get(i).length();
            if (len > cutoffLen) {
                throw new IllegalArgumentException("example " + i + " has " + len + " tokens > cutoff_len " + cutoffLen);
            }
            lengths.add(len);
            byLength.computeIfAbsent(len, k -> new ArrayDeque<>()).addLast(i);
        }
        List<PackedSequence> rows = new ArrayList<>();
        int rowLen = cutoffLen + 1;
        for (List<Integer> bin : greedyKnapsack(lengths, cutoffLen)) {
            int[] ids = new int[rowLen];
            int[] labels = new int[rowLen];
            int[] segments = new int[rowLen];
            int[] positions = new int[rowLen];
            Arrays.fill(ids, padId);
            Arrays.fill(labels, EncodedExample.IGNORE_INDEX);
            int p = 0;
            for (int k = 0; k < bin.size(); k++) {
                EncodedExample e = examples.get(byLength.get(bin.get(k)).removeLast()); // LF pops the last index
                int[] ei = e.inputIds();
                int[] el = e.labels();
                System.arraycopy(ei, 0, ids, p, ei.length);
                System.arraycopy(el, 0, labels, p, el.length);
                for (int j = 0; j < ei.length; j++) {
                    segments[p + j] = neat ? k + 1 : 1;
                    positions[p + j] = j;
                }
                p += ei.length;
            }
            rows.add(new PackedSequence(ids, labels, segments, positions));
        }
        return rows;
    }
}
