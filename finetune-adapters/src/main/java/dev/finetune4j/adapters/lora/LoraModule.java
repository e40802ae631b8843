package dev.finetune4j.adapters.lora;

import dev.finetune4j.nn.DenseLinear;
import dev.finetune4j.nn.Linear;
import dev.finetune4j.nn.Parameter;
import java.util.Optional;

/**
 * A linear layer with a LoRA-family adapter on it: plain LoRA ({@link LoraLinear}) or DoRA ({@link DoraLinear}).
 * What the adapter, its files and its merge need from either.
 */
public interface LoraModule extends Linear {

    /** The wrapped layer. */
    Linear base();

    int rank();

    double alpha();

    /** s = α/r (rsLoRA: α/√r). */
    double scaling();

    double dropout();

    /** A {@code [r, in]}, named {@code <module>.lora_A.weight}. */
    Parameter loraA();

    /** B {@code [out, r]}, named {@code <module>.lora_B.weight}. */
    Parameter loraB();

    /** DoRA's magnitude vector {@code m [out]} ({@code <module>.lora_magnitude_vector}); empty for plain LoRA. */
    default Optional<Parameter> magnitude() {
        return Optional.empty();
    }

    /** Turns the adapter term on or off for the following forward passes (off: the layer computes as its base). */
    void setEnabled(boolean on);

    boolean enabled();

    /** Restarts the dropout mask generator. */
    void reseedDropout(long seed);

    /** The layer with the adapter merged into a new frozen dense weight (the base's bias kept). */
    DenseLinear merged();
}
