package dev.finetune4j.encoding;

/** LLaMA-Factory's {@code infer_seqlen}: how to cut a (source, target) pair to fit {@code cutoff} tokens. */
public final class SequenceLengths {
    private SequenceLengths() {
    }

    /**
     * Returns {@code {sourceLen, targetLen}} after truncation: a short target is kept whole, else a short source is
     * kept whole, else both are cut in proportion; the ends of overlong segments are dropped.
     */
    public static int[] infer(int sourceLen, int targetLen, int cutoff) {
        int maxTarget;
        if (targetLen * 2 < cutoff) {
            maxTarget = cutoff;
        } else if (sourceLen * 2 < cutoff) {
            maxTarget = cutoff - sourceLen;
        } else {
            maxTarget = (int) (cutoff * ((double) targetLen / (sourceLen + targetLen)));
        }
        int newTarget = Math.min(maxTarget, targetLen);
        int maxSource = Math.max(cutoff - newTarget, 0);
        int newSource = Math.min(maxSource, sourceLen);
        return new int[] {newSource, newTarget};
    }
}
