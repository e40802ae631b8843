package dev.finetune4j.device;

import dev.finetune4j.FineTuneException;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The numeric precision of the forward and backward pass. Master weights, optimizer state, gradients that are
 * accumulated and the loss stay in FP32 whatever is chosen here ({@link #masterType()}); a 16-bit policy only
 * changes the type the matmuls of frozen/base weights and activations run in ({@link #computeType()}).
 *
 * <p>What ND4J 1.0.0-M2.1 offers: on CUDA, FP16 matmul goes to cuBLAS (Hgemm, and FP16×FP16→FP32 through
 * SgemmEx) on compute capability 6.0 and newer; BF16 matmul has no cuBLAS path there (a generic kernel, slower
 * than FP32). On the CPU backend neither is usable (no 16-bit BLAS: ~25x slower; training gave NaN / no update),
 * so {@link Devices#activate} refuses them there.
 */
public enum Precision {
    FP32(DataType.FLOAT),
    /** {@code HALF}, deprecated in favour of its alias {@code FLOAT16}, is what ND4J 1.0.0-M2.1's buffers switch on. */
    @SuppressWarnings("deprecation")
    FP16(DataType.HALF),
    BF16(DataType.BFLOAT16);

    private final DataType computeType;

    Precision(DataType computeType) {
        this.computeType = computeType;
    }

    /** The type activations and matmuls run in. */
    public DataType computeType() {
        return computeType;
    }

    /** The type of what trains and what is accumulated: always FP32. */
    public DataType masterType() {
        return DataType.FLOAT;
    }

    /**
     * Throws unless this precision is usable on ND4J's CPU backend: only FP32 is (see the class comment).
     *
     * @throws FineTuneException for FP16 and BF16, saying why and what to use
     */
    public void requireCpuSupport() {
        if (this != FP32) {
            throw new FineTuneException("precision " + this + " on the CPU: ND4J has no 16-bit BLAS on the CPU backend"
                    + " (matmul ~25x slower than fp32, training diverges); use fp32, or a CUDA device");
        }
    }

    /** Parses {@code fp32|float32|float}, {@code fp16|float16|half}, {@code bf16|bfloat16} (any case). */
    public static Precision parse(String text) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "fp32", "float32", "float" -> FP32;
            case "fp16", "float16", "half" -> FP16;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new FineTuneException("precision '" + (text == null ? "" : text.strip())
                    + "': expected fp32, fp16 or bf16");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
