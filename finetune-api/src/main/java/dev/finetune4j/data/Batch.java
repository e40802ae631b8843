package dev.finetune4j.data;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A batch as the model consumes it: four {@code [batch, seq]} INT32 arrays.
 *
 * <ul>
 *   <li>{@code inputIds}: token ids; padding positions hold the pad id.</li>
 *   <li>{@code labels}: {@link EncodedExample#IGNORE_INDEX} (-100) where there is no loss (padding, masked
 *       prompt); the model shifts them (logits at t are scored against {@code labels[t + 1]}).</li>
 *   <li>{@code attentionMask}: 0 on padding; otherwise a segment id. Query t may attend to key s iff
 *       {@code s <= t} and {@code mask[s] == mask[t] != 0}. An ordinary batch has 1 on every real token; a
 *       neat-packed row numbers its examples 1, 2, 3, … so they cannot attend to each other; a plain packed
 *       row (LLaMA-Factory {@code packing} without {@code neat_packing}) has 1 everywhere.</li>
 *   <li>{@code positionIds}: RoPE positions, 0-based, restarting at 0 for each packed example.</li>
 * </ul>
 */
public record Batch(INDArray inputIds, INDArray labels, INDArray attentionMask, INDArray positionIds) {
    public Batch {
        Objects.requireNonNull(inputIds, "inputIds");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(attentionMask, "attentionMask");
        Objects.requireNonNull(positionIds, "positionIds");
        for (INDArray a : new INDArray[] {inputIds, labels, attentionMask, positionIds}) {
            if (a.rank() != 2 || !Arrays.equals(a.shape(), inputIds.shape())) {
                throw new IllegalArgumentException("batch arrays must all be [batch, seq] like input_ids "
                        + Arrays.toString(inputIds.shape()) + ", got " + Arrays.toString(a.shape()));
            }
            if (a.dataType() != DataType.INT32) {
                throw new IllegalArgumentException("batch arrays must be INT32, got " + a.dataType());
            }
        }
    }

    public int batchSize() {
        return (int) inputIds.size(0);
    }

    public int seqLen() {
        return (int) inputIds.size(1);
    }

    /** Number of label positions that get loss after the shift (labels[t] != -100 for t >= 1). */
    public long lossTokenCount() {
        int[] l = labels.data().asInt();
        int t = seqLen();
        long n = 0;
        for (int i = 0; i < l.length; i++) {
            if (i % t != 0 && l[i] != EncodedExample.IGNORE_INDEX) {
                n++;
            }
        }
        return n;
    }
}
