package dev.finetune4j.train.memory;

/**
 * The memory of one training run by component, in bytes.
 *
 * @param weights      the model's weights as held (fp32, or quantized base + fp32 rest) plus adapter weights
 * @param gradients    gradient accumulators of the trainable parameters (fp32)
 * @param optimizer    AdamW's two moments per trainable parameter (fp32)
 * @param activations  what a training forward keeps for backward, plus the loss chunk
 * @param temporaries  the largest backward working set of one layer, dequantized weights (QLoRA), optimizer scratch
 * @param runtime      the JVM, ND4J's native libraries and buffers, tokenizer (measured constant)
 * @param trainableParameters parameters that train
 * @param totalParameters     parameters of the model (and adapter)
 */
public record MemoryEstimate(TuningMethod method, long weights, long gradients, long optimizer, long activations,
                             long temporaries, long runtime, long trainableParameters, long totalParameters) {

    /** All components. */
    public long total() {
        return weights + gradients + optimizer + activations + temporaries + runtime;
    }
}
