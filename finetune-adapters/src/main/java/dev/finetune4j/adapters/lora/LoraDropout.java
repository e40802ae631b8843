package dev.finetune4j.adapters.lora;

import dev.finetune4j.nn.ArrayPool;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The inverted dropout mask of the LoRA input ({@code 0} or {@code 1/(1-p)}), drawn as {@link LoraLinear} draws it. */
final class LoraDropout {
    private LoraDropout() {
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
