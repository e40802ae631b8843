package dev.finetune4j.nn;

import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How a linear layer holds its weight matrix {@code W [out, in]} (HuggingFace layout). This is the seam
 * for quantization: a dense store hands out its array; a quantized store (NF4, INT8) keeps packed codes
 * and materialises a dense matrix only while a layer uses it.
 *
 * <p>Protocol: {@code W = store.acquire(); ... use W ...; store.release(W);}. Callers must not keep
 * {@code W} after releasing it, and must not write into it.
 */
public interface WeightStore {

    long outFeatures();

    long inFeatures();

    /** A dense {@code [out, in]} matrix in compute precision. May be a temporary made for this call. */
    INDArray acquire();

    /** Ends the use of what {@link #acquire()} returned; a quantized store frees its temporary here. */
    default void release(INDArray weight) {
    }

    /** Bytes this store keeps alive between uses (what counts for memory estimates). */
    long storageBytes();

    /**
     * The parameter behind a dense store, for full/freeze fine-tuning where the weight itself trains.
     * Empty for quantized stores, which are always frozen.
     */
    default Optional<Parameter> parameter() {
        return Optional.empty();
    }
}
