package dev.finetune4j.checkpoint;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The element types of the safetensors format (FORMATS.md §D.6), with their sizes in bytes. */
public enum SafeDType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int bytes;

    SafeDType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** True for the floating types finetune4j converts to FLOAT/DOUBLE arrays (F64, F32, F16, BF16). */
    public boolean isConvertibleFloat() {
        return this == F32 || this == F16 || this == BF16 || this == F64;
    }

    /** Parses a header dtype string; unknown names are an error listing the known ones. */
    public static SafeDType parse(String name, String where) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(where + ": unknown dtype \"" + name + "\" (known: "
                    + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")) + ")");
        }
    }
}
