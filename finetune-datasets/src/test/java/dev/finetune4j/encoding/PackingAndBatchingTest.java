package dev.finetune4j.encoding;

import static dev.finetune4j.encoding.EncodingFixtures.SIMPLE;
import static dev.finetune4j.encoding.EncodingFixtures.TOK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune4j.data.Batch;
import dev.finetune4j.data.EncodedExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Packing (greedy largest-fit-first, neat_packing) and batching into the Batch contract. */
class PackingAndBatchingTest {
    static EncodedExample example(int id, int len) {
        int[] ids = new int[len];
        int[] labels = new int[len];
        for (int i = 0; i < len; i++) {
            ids[i] = id * 1000 + i;
            labels[i] = i < len / 2 ? EncodedExample.IGNORE_INDEX : ids[i];
        }
        return new EncodedExample(ids, labels);
    }

    @Test
    void greedyKnapsackMatchesLlamaFactory() {
        // expected from LF's greedy_knapsack([5,3,8,2,7,4,1,5,9,3], 10)
        assertEquals(List.of(List.of(9, 1), List.of(8, 2), List.of(7, 3), List.of(5, 5), List.of(4, 3)),
                Packer.greedyKnapsack(List.of(5, 3, 8, 2, 7, 4, 1, 5, 9, 3), 10));
    }

    @Test
    void neatPackingKeepsEveryExampleOnceAndIsolatesThem() {
        Random rnd = new Random(42);
        List<EncodedExample> examples = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            examples.add(example(i, 1 + rnd.nextInt(60)));
        }
        examples.add(example(999, 80)); // longer than cutoff_len: dropped
        int cutoff = 64;
        DefaultDatasetEncoder enc = new DefaultDatasetEncoder(TOK, SIMPLE, EncodingConfig.builder()
                .cutoffLen(cutoff).neatPacking(true).build());
        List<PackedSequence> rows = enc.pack(examples);
        Map<Integer, Integer> seen = new HashMap<>();
        for (PackedSequence row : rows) {
            assertEquals(cutoff + 1, row.length());
            int[] seg = row.segmentIds();
            int[] pos = row.positionIds();
            for (int t = 0; t < row.length(); t++) {
                if (seg[t] == 0) { // padding: pad id, no label, at the end only
                    assertEquals(enc.padId(), row.inputIds()[t]);
                    assertEquals(EncodedExample.IGNORE_INDEX, row.labels()[t]);
                    for (int u = t; u < row.length(); u++) {
                        assertEquals(0, seg[u]);
                    }
                    break;
                }
                // positions restart exactly where a new segment starts, segments count up 1, 2, 3...
                boolean newSegment = t == 0 || seg[t] != seg[t - 1];
                assertEquals(newSegment, pos[t] == 0, "row position " + t);
                assertEquals(newSegment ? (t == 0 ? 1 : seg[t - 1] + 1) : seg[t - 1], seg[t]);
            }
            for (EncodedExample e : row.unpack()) {
                seen.merge(e.inputIds()[0] / 1000, 1, Integer::sum);
                assertEquals(examples.get(e.inputIds()[0] / 1000), e); // unchanged ids and labels
            }
        }
        assertEquals(200, seen.size()); // none lost (except the lengthy one)
        assertTrue(seen.values().stream().allMatch(n -> n == 1)); // none duplicated
        assertTrue(!seen.containsKey(999));

        // no cross-example attention: query t may see key s only if mask[s] == mask[t] != 0
        Batch b = enc.collatePacked(rows);
        int[] mask = b.attentionMask().data().asInt();
        int[] ids = b.inputIds().data().asInt();
        int seq = b.seqLen();
        for (int r = 0; r < b.batchSize(); r++) {
            for (int t = 0; t < seq; t++) {
                for (int s = 0; s <= t; s++) {
                    int ms = mask[r * seq + s];
                    int mt = mask[r * seq + t];
                    boolean attends = ms == mt && mt != 0;
                    if (attends) {
                        assertEquals(ids[r * seq + s] / 1000, ids[r * seq + t] / 1000, "row " + r + " " + s + "->" + t);
                    }
                }
            }
        }
    }

    @Test
    void plainPackingUsesOneSegmentAndRestartsPositions() {
        DefaultDatasetEncoder enc = new DefaultDatasetEncoder(TOK, SIMPLE, EncodingConfig.builder()
                .cutoffLen(10).packing(true).build());
        List<PackedSequence> rows = enc.pack(List.of(example(1, 4), example(2, 5)));
        assertEquals(1, rows.size());
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, rows.get(0).segmentIds());
        // LF order: the larger fits first
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 0, 1, 2, 3, 0, 0}, rows.get(0).positionIds());
        assertEquals(2, rows.get(0).unpack().size());
    }

    @Test
    void collatePadsToTheLongestAndToAMultiple() {
        DefaultDatasetEncoder enc = new DefaultDatasetEncoder(TOK, SIMPLE, EncodingConfig.builder()
                .padToMultipleOf(8).build());
        Batch b = enc.collate(List.of(example(1, 3), example(2, 10)));
        assertEquals(2, b.batchSize());
        assertEquals(16, b.seqLen());
        assertEquals(DataType.INT32, b.inputIds().dataType());
        int pad = TOK.eosId().getAsInt(); // no PAD token: EOS
        int[] ids = b.inputIds().getRow(0).toIntVector();
        int[] labels = b.labels().getRow(0).toIntVector();
        int[] mask = b.attentionMask().getRow(0).toIntVector();
        int[] pos = b.positionIds().getRow(0).toIntVector();
        assertArrayEquals(new int[] {1000, 1001, 1002}, Arrays.copyOf(ids, 3));
        for (int t = 3; t < 16; t++) {
            assertEquals(pad, ids[t]);
            assertEquals(EncodedExample.IGNORE_INDEX, labels[t]);
            assertEquals(0, mask[t]);
            assertEquals(0, pos[t]);
        }
        assertArrayEquals(new int[] {1, 1, 1}, Arrays.copyOf(mask, 3));
        assertArrayEquals(new int[] {0, 1, 2}, Arrays.copyOf(pos, 3));
        assertEquals(10, new DefaultDatasetEncoder(TOK, SIMPLE, EncodingConfig.builder().build())
                .collate(List.of(example(1, 3), example(2, 10))).seqLen());
    }

    @Test
    void collatePairsPutsChosenRowsFirst() {
        DefaultDatasetEncoder enc = new DefaultDatasetEncoder(TOK, SIMPLE, EncodingConfig.builder().build());
        Batch b = enc.collatePairs(List.of(new EncodedPair(example(1, 2), example(2, 3)),
                new EncodedPair(example(3, 2), example(4, 2))));
        assertEquals(4, b.batchSize());
        assertEquals(1000, b.inputIds().getInt(0, 0));
        assertEquals(3000, b.inputIds().getInt(1, 0));
        assertEquals(2000, b.inputIds().getInt(2, 0));
        assertEquals(4000, b.inputIds().getInt(3, 0));
    }
}
