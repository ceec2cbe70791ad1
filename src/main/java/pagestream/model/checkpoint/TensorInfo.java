package pagestream.model.checkpoint;

import java.util.Arrays;

/**
 * One tensor of a safetensors file as its header describes it.
 *
 * @param name       key in the file
 * @param dtype      stored element type
 * @param shape      dimensions (empty for a scalar)
 * @param fileOffset absolute byte offset of the first element in the file
 * @param byteLength number of bytes (= elements × dtype size, checked when the header is read)
 */
public record TensorInfo(String name, SafetensorsDtype dtype, long[] shape, long fileOffset, long byteLength) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Shape as the checkpoint tools print it, e.g. {@code [16, 64] BF16}. */
    public String describe() {
        return Arrays.toString(shape) + " " + dtype;
    }

    @Override
    public String toString() {
        return name + " " + describe();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && fileOffset == t.fileOffset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }
}
