package dev.finetune4j.model;

import java.util.List;

/**
 * How rotary-embedding frequencies are rescaled (FORMATS.md §D.4), read from {@code rope_scaling} or the newer
 * {@code rope_parameters}. Supported: {@code default} (no change), {@code linear} ({@code inv_freq / factor})
 * and {@code llama3} (per-frequency smoothing between {@code low_freq_factor} and {@code high_freq_factor}).
 *
 * @param type                          {@code default}, {@code linear} or {@code llama3}
 * @param factor                        the scaling factor (1 for default)
 * @param lowFreqFactor                 llama3 only
 * @param highFreqFactor                llama3 only
 * @param originalMaxPositionEmbeddings llama3 only: the context the frequencies were trained for
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {
    public static final List<String> SUPPORTED_TYPES = List.of("default", "linear", "llama3");
    public static final RopeScaling NONE = new RopeScaling("default", 1, 0, 0, 0);

    public RopeScaling {
        if (!SUPPORTED_TYPES.contains(type)) {
            throw new IllegalArgumentException("rope type \"" + type + "\" is not supported; supported: "
                    + String.join(", ", SUPPORTED_TYPES));
        }
        if (!(factor > 0)) {
            throw new IllegalArgumentException("rope scaling factor must be > 0, got " + factor);
        }
        if (type.equals("llama3") && (!(highFreqFactor > lowFreqFactor) || originalMaxPositionEmbeddings <= 0)) {
            throw new IllegalArgumentException("llama3 rope scaling needs high_freq_factor > low_freq_factor and "
                    + "original_max_position_embeddings > 0");
        }
    }

    public static RopeScaling linear(double factor) {
        return new RopeScaling("linear", factor, 0, 0, 0);
    }

    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor,
                                     int originalMaxPositionEmbeddings) {
        return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings);
    }

    public boolean isDefault() {
        return type.equals("default");
    }

    /**
     * The inverse frequencies {@code inv_freq[j]}, j &lt; headDim/2, in float32 exactly as HF computes them:
     * {@code 1 / theta^(float(2j)/headDim)} in float, then the scaling of this type.
     */
    public float[] inverseFrequencies(double theta, int headDim) {
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int j = 0; j < half; j++) {
            float exponent = (float) (2 * j) / (float) headDim;
            float pow = (float) Math.pow((float) theta, exponent);
            inv[j] = 1.0f / pow;
        }
        switch (type) {
            case "linear" -> {
                for (int j = 0; j < half; j++) {
                    inv[j] = inv[j] / (float) factor;
                }
            }
            case "llama3" -> {
                // operation by operation in float32, as transformers' _compute_llama3_parameters
                float lowWavelen = (float) (originalMaxPositionEmbeddings / lowFreqFactor);
                float highWavelen = (float) (originalMaxPositionEmbeddings / highFreqFactor);
                float twoPi = (float) (2 * Math.PI);
                float f32Factor = (float) factor;
                for (int j = 0; j < half; j++) {
                    float f = inv[j];
                    float wavelen = twoPi / f;
                    float llama = wavelen > lowWavelen ? f / f32Factor : f;
                    if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                        float smooth = ((float) originalMaxPositionEmbeddings / wavelen - (float) lowFreqFactor)
                                / (float) (highFreqFactor - lowFreqFactor);
                        llama = (1 - smooth) * llama / f32Factor + smooth * llama;
                    }
                    inv[j] = llama;
                }
            }
            default -> {
            }
        }
        return inv;
    }
}
