package dev.finetune4j.nn;

/**
 * How a forward pass runs: whether stochastic layers (LoRA dropout) are on, and whether the pass keeps what backward
 * needs. The two are separate because of activation checkpointing: a checkpointed layer first runs in training mode
 * without keeping anything ({@link #TRAIN_NO_CACHE}), then again just before its backward ({@link #RECOMPUTE}), and the
 * second run must apply the very same dropout masks as the first, or the gradients would not be those of the loss.
 */
public enum ForwardMode {
    /** Evaluation and inference: no dropout, nothing kept. */
    INFERENCE(false, false),
    /** Training: dropout on, keeps what backward needs. */
    TRAIN(true, true),
    /** The first pass of a checkpointed layer: dropout on (new masks, remembered), nothing kept. */
    TRAIN_NO_CACHE(true, false),
    /** The recomputation of a {@link #TRAIN_NO_CACHE} pass before backward: the same masks again, keeps for backward. */
    RECOMPUTE(true, true);

    private final boolean dropout;
    private final boolean keepsCache;

    ForwardMode(boolean dropout, boolean keepsCache) {
        this.dropout = dropout;
        this.keepsCache = keepsCache;
    }

    /** Whether stochastic layers are active (training semantics). */
    public boolean dropout() {
        return dropout;
    }

    /** Whether the pass keeps what a following backward needs. */
    public boolean keepsCache() {
        return keepsCache;
    }

    /** {@link #TRAIN} or {@link #INFERENCE}: the meaning of the {@code training} flag of {@link Linear#forward}. */
    public static ForwardMode of(boolean training) {
        return training ? TRAIN : INFERENCE;
    }
}
