package pagestream.model.checkpoint;

import java.util.Locale;

/**
 * Element types of the safetensors format, with their sizes in bytes. Every type the format defines is listed
 * so that headers can be validated (byte length = elements × size) even for tensors we cannot convert;
 * {@link #isFloat()} / {@link #isInteger()} say which ones this project reads.
 */
public enum SafetensorsDtype {
    F32(4), F16(2), BF16(2), I64(8), I32(4),
    F64(8), I16(2), I8(1), U8(1), U16(2), U32(4), U64(8), BOOL(1), F8_E4M3(1), F8_E5M2(1);

    private final int byteSize;

    SafetensorsDtype(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** Stored floating types we convert to float32/float16 in Java. */
    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** Stored integer types we read as {@code long[]} (token ids, attention masks). */
    public boolean isInteger() {
        return this == I64 || this == I32;
    }

    /** Parses the header's dtype string; {@code null} if the format does not define it. */
    static SafetensorsDtype parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
