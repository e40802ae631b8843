package dev.finetune4j.quant.fourbit;

import dev.finetune4j.quant.Quantizer;
import dev.finetune4j.quant.QuantizerProvider;

/** Registers {@code nf4} and {@code fp4} ({@link java.util.ServiceLoader}). */
public final class FourBitProviders {
    private FourBitProviders() {
    }

    /** {@code nf4}. */
    public static final class Nf4 implements QuantizerProvider {
        @Override
        public String name() {
            return "nf4";
        }

        @Override
        public Quantizer create(boolean doubleQuantization) {
            return new FourBitQuantizer(FourBitType.NF4, doubleQuantization);
        }
    }

    /** {@code fp4}. */
    public static final class Fp4 implements QuantizerProvider {
        @Override
        public String name() {
            return "fp4";
        }

        @Override
        public Quantizer create(boolean doubleQuantization) {
            return new FourBitQuantizer(FourBitType.FP4, doubleQuantization);
        }
    }
}
