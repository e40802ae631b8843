package dev.finetune4j.quant;

/** Registers quantization methods by name ({@link java.util.ServiceLoader}); see {@link Quantizers}. */
public interface QuantizerProvider {

    /** The method name, lower case ({@code nf4}, {@code fp4}, {@code int8}). */
    String name();

    /** A quantizer of this method; {@code doubleQuantization} matters only to methods with block scales. */
    Quantizer create(boolean doubleQuantization);
}
