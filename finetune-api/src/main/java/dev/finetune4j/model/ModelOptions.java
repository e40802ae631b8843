package dev.finetune4j.model;

import dev.finetune4j.model.loss.CausalLmLoss;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * How a {@link CausalLM} computes.
 *
 * @param dtype                   FLOAT (training and inference) or DOUBLE (gradient checks); weights are converted
 *                                to it on load
 * @param activationCheckpointing keep only each layer's input during a training forward and recompute the layer in
 *                                backward (about one extra forward of time for a fraction of the activation memory)
 * @param lossChunkElements       logits per chunk of the fused LM-head loss (rows = this / vocab)
 */
public record ModelOptions(DataType dtype, boolean activationCheckpointing, long lossChunkElements) {
    public ModelOptions {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("the model computes in FLOAT or DOUBLE, not " + dtype);
        }
        if (lossChunkElements <= 0) {
            throw new IllegalArgumentException("lossChunkElements must be > 0");
        }
    }

    /** FLOAT, no activation checkpointing, 64 Mi logits per loss chunk. */
    public static ModelOptions defaults() {
        return new ModelOptions(DataType.FLOAT, false, CausalLmLoss.DEFAULT_CHUNK_ELEMENTS);
    }

    public ModelOptions withDtype(DataType d) {
        return new ModelOptions(d, activationCheckpointing, lossChunkElements);
    }

    public ModelOptions withActivationCheckpointing(boolean on) {
        return new ModelOptions(dtype, on, lossChunkElements);
    }

    public ModelOptions withLossChunkElements(long n) {
        return new ModelOptions(dtype, activationCheckpointing, n);
    }
}
