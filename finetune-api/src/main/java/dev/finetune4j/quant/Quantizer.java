package dev.finetune4j.quant;

import dev.finetune4j.nn.WeightStore;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Stores frozen linear weights in fewer bits (QLoRA's base model). The returned store keeps only the quantized form;
 * its {@link WeightStore#acquire()} dequantizes into a temporary dense matrix in the weight's type that
 * {@link WeightStore#release} frees, so the full-precision matrix lives no longer than one layer's use of it.
 *
 * <pre>{@code
 * Quantizer nf4 = Quantizers.nf4();                       // or Quantizers.get("int8")
 * WeightStore w = nf4.quantize("model.layers.0.mlp.up_proj.weight", dense);   // dense [out, in] may be dropped now
 * }</pre>
 */
public interface Quantizer {

    /** The method name: {@code nf4}, {@code fp4} or {@code int8}. */
    String name();

    /** Whether the per-block scales are quantized again (bitsandbytes' double quantization; 4-bit only). */
    default boolean doubleQuantization() {
        return false;
    }

    /**
     * Quantizes a dense {@code [out, in]} weight (FLOAT or DOUBLE; not kept, not changed).
     *
     * @param name the parameter name, for messages
     */
    WeightStore quantize(String name, INDArray weight);

    /** The bytes {@link #quantize} keeps for an {@code [out, in]} weight (what {@link WeightStore#storageBytes()} says). */
    long storageBytes(long outFeatures, long inFeatures);

    /** {@link #storageBytes} per weight, in bits. */
    default double bitsPerWeight(long outFeatures, long inFeatures) {
        return 8.0 * storageBytes(outFeatures, inFeatures) / ((double) outFeatures * inFeatures);
    }
}
