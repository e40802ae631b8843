package dev.finetune4j.adapters.lora;

import dev.finetune4j.nn.ArrayPool;
import dev.finetune4j.nn.ForwardMode;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The dropout of a LoRA layer's input: inverted masks ({@code 0} or {@code 1/(1-p)}), one seed per pass from the
 * layer's generator. An activation-checkpointed first pass ({@link ForwardMode#TRAIN_NO_CACHE}) draws a mask and its
 * recomputation ({@link ForwardMode#RECOMPUTE}) replays exactly that mask.
 */
final class LoraDropout {
    private final String layer;
    private final double p;
    private SplittableRandom random;
    private long replaySeed;        // the mask seed of the last TRAIN_NO_CACHE pass
    private boolean replayPending;

    LoraDropout(String layer, double p, long seed) {
        this.layer = layer;
        this.p = p;
        this.random = new SplittableRandom(seed);
    }

    /** Restarts the mask generator (tests use it to replay the same masks). */
    void reseed(long seed) {
        random = new SplittableRandom(seed);
        replayPending = false;
    }

    /** The mask of a pass in {@code mode} over a {@code [rows, cols]} input, or null when the pass has no dropout. */
    INDArray mask(ForwardMode mode, DataType dt, long rows, long cols) {
        if (!mode.dropout() || p <= 0) {
            return null;
        }
        long seed;
        if (mode == ForwardMode.RECOMPUTE) {
            if (!replayPending) {
                throw new IllegalStateException(layer + ": a recomputation without a checkpointed pass before it");
            }
            seed = replaySeed;
            replayPending = false;
        } else {
            seed = random.nextLong();
            replaySeed = seed;
            replayPending = mode == ForwardMode.TRAIN_NO_CACHE;
        }
        return mask(new SplittableRandom(seed), p, dt, rows, cols);
    }

    /** A {@code [rows, cols]} mask from the pool: one 24-bit uniform per element, dropped when below p. */
    static INDArray mask(SplittableRandom r, double p, DataType dt, long rows, long cols) {
        INDArray mask = ArrayPool.take(dt, rows, cols);
        int n = Math.toIntExact(rows * cols);
        double keep = 1 - p;
        int threshold = (int) Math.round(p * (1 << 24));
        if (dt == DataType.FLOAT) {
            FloatBuffer f = mask.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            float kept = (float) (1 / keep);
            for (int i = 0; i < n; i++) {
                f.put(i, (r.nextInt() >>> 8) < threshold ? 0f : kept);
            }
        } else if (dt == DataType.DOUBLE) {
            DoubleBuffer d = mask.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
            double kept = 1 / keep;
            for (int i = 0; i < n; i++) {
                d.put(i, (r.nextInt() >>> 8) < threshold ? 0 : kept);
            }
        } else {
            throw new IllegalArgumentException("LoRA computes in FLOAT or DOUBLE, not " + dt);
        }
        return mask;
    }
}
