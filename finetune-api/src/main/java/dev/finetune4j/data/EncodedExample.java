package dev.finetune4j.data;

import java.util.Arrays;

/**
 * One tokenized example, what a chat template and tokenizer make of an {@link Example}: token ids and, aligned
 * with them, the labels the loss uses ({@link #IGNORE_INDEX} on every position that is not trained). The model
 * shifts internally: the logits at position t are scored against {@code labels[t + 1]}.
 */
public record EncodedExample(int[] inputIds, int[] labels) {
    /** The label of a position that gets no loss (HuggingFace's and LLaMA-Factory's -100). */
    public static final int IGNORE_INDEX = -100;

    public EncodedExample {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException("input_ids has " + inputIds.length + " tokens but labels has "
                    + labels.length);
        }
        inputIds = inputIds.clone();
        labels = labels.clone();
    }

    @Override
    public int[] inputIds() {
        return inputIds.clone();
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    public int length() {
        return inputIds.length;
    }

    /** Number of positions that carry a label. */
    public int labelCount() {
        int n = 0;
        for (int l : labels) {
            if (l != IGNORE_INDEX) {
                n++;
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncodedExample e && Arrays.equals(inputIds, e.inputIds) && Arrays.equals(labels, e.labels);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(inputIds) + Arrays.hashCode(labels);
    }

    @Override
    public String toString() {
        return "EncodedExample[inputIds=" + Arrays.toString(inputIds) + ", labels=" + Arrays.toString(labels) + "]";
    }
}
