package dev.finetune4j.quant.blockwise;

import java.util.Arrays;

/**
 * bitsandbytes' signed 8-bit "dynamic" code map ({@code create_dynamic_map(signed=True)}, 7 exponent bits), the code
 * of its blockwise 8-bit quantization and of QLoRA's double quantization of the 4-bit block scales.
 *
 * <p>The 256 values, sorted: for each decade {@code i = 0..6}, the {@code 2^i} midpoints of a float32
 * {@code linspace(0.1, 1, 2^i + 1)} times {@code 10^(i-6)}, with both signs; plus 0 and 1.0. (So there are 127
 * negative and 127 positive values, 0, and 1.0; -1.0 is not a code.) Every step is float32 arithmetic as in
 * PyTorch: the midpoints {@code (b[k] + b[k+1]) / 2}, and the product with the decade factor rounded to float first.
 * {@code linspace} itself follows ATen's CPU kernel (a fused multiply-add from the nearer end, in runs of eight values
 * counted from the run's first element), so the map equals, bit for bit, the tensor PyTorch produces — checked
 * against a golden list made with torch (test resources {@code quant-golden/}).
 */
public final class DynamicCodeMap {
    private static final float[] SIGNED = build();

    private DynamicCodeMap() {
    }

    /** The signed map (a copy), ascending: index 0 = -0.99296874, 127 = 0, 255 = 1.0. */
    public static float[] signed() {
        return SIGNED.clone();
    }

    static float[] signedShared() {
        return SIGNED;
    }

    private static float[] build() {
        float[] data = new float[256];
        int n = 0;
        for (int i = 0; i < 7; i++) {
            int items = (1 << i) + 1;
            float[] b = linspace(0.1f, 1.0f, items);
            float scale = (float) Math.pow(10, i - 6);
            for (int k = 0; k < items - 1; k++) {
                float mean = (b[k] + b[k + 1]) / 2.0f;
                float v = scale * mean;
                data[n++] = v;
                data[n++] = -v;
            }
        }
        data[n++] = 0f;
        data[n++] = 1.0f;
        if (n != 256) {
            throw new AssertionError(n);
        }
        Arrays.sort(data);
        return data;
    }

    /**
     * {@code torch.linspace(start, end, steps, dtype=float32)} on the CPU: {@code step = (end - start) / (steps - 1)};
     * the first half counts up from {@code start}, the second half down from {@code end}, each value one fused
     * multiply-add; ATen's vectorized loop (AVX2, eight floats, two vectors per round while 16 values remain) computes
     * only the first value of each vector that way and adds {@code step·j} (rounded) for its others.
     */
    static float[] linspace(float start, float end, int steps) {
        float[] out = new float[steps];
        if (steps == 1) {
            out[0] = start;
            return out;
        }
        float step = (end - start) / (steps - 1);
        int half = steps / 2;
        int vec = 8;
        int i = 0;
        for (; i <= steps - 2 * vec; i += 2 * vec) {
            for (int h = 0; h < 2; h++) {
                int k = i + h * vec;
                float base = scalar(start, end, step, half, steps, k);
                for (int j = 0; j < vec; j++) {
                    out[k + j] = base + step * j;
                }
            }
        }
        for (; i < steps; i++) {
            out[i] = scalar(start, end, step, half, steps, i);
        }
        return out;
    }

    private static float scalar(float start, float end, float step, int half, int steps, int k) {
        return k < half ? Math.fma(step, (float) k, start) : Math.fma(-step, (float) (steps - k - 1), end);
    }
}
