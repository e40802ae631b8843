package dev.finetune4j.nn;

import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A weight held as one dense array, frozen or trainable through its {@link Parameter}. */
public final class DenseWeight implements WeightStore {
    private final Parameter parameter;

    public DenseWeight(Parameter parameter) {
        if (parameter.value().rank() != 2) {
            throw new IllegalArgumentException(parameter.name() + ": a linear weight must be 2-D [out, in]");
        }
        this.parameter = parameter;
    }

    @Override
    public long outFeatures() {
        return parameter.value().size(0);
    }

    @Override
    public long inFeatures() {
        return parameter.value().size(1);
    }

    @Override
    public INDArray acquire() {
        return parameter.value();
    }

    @Override
    public long storageBytes() {
        return parameter.value().length() * parameter.value().dataType().width();
    }

    @Override
    public Optional<Parameter> parameter() {
        return Optional.of(parameter);
    }
}
