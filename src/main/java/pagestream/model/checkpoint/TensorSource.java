package pagestream.model.checkpoint;

import java.nio.ByteBuffer;

/** Where the data of one canonical tensor comes from: a stored tensor of a file, or one computed at load. */
sealed interface TensorSource {

    long[] shape();

    /** Human-readable origin for error messages, e.g. {@code 'model.x.weight' [16, 64] BF16 in /dir/a.safetensors}. */
    String origin();

    /** The values converted to float32 (a new array). */
    float[] floats();

    /** Writes the values in the target dtype (FLOAT32 when {@code float16} is false) at {@code dst}'s position. */
    void write(ByteBuffer dst, boolean float16);

    /** A tensor as stored in a safetensors file, converted when written. */
    record Stored(SafetensorsFile file, TensorInfo info) implements TensorSource {
        public Stored {
            file.requireFloat(info);
        }

        @Override
        public long[] shape() {
            return info.shape();
        }

        @Override
        public String origin() {
            return "'" + info.name() + "' " + info.describe() + " in " + file.path();
        }

        @Override
        public float[] floats() {
            return file.floats(info.name());
        }

        @Override
        public void write(ByteBuffer dst, boolean float16) {
            ByteBuffer src = file.bytes(info);
            if (float16) {
                TensorConversion.toFloat16Bytes(src, info.dtype(), info.elementCount(), dst);
            } else {
                TensorConversion.toFloat32Bytes(src, info.dtype(), info.elementCount(), dst);
            }
        }
    }

    /** A tensor computed while loading from a base tensor: {@code W + scale · B · A} of a LoRA adapter, in fp32. */
    record LoraMerged(TensorSource base, SafetensorsFile adapterFile, TensorInfo a, TensorInfo b, int rank,
            float scale) implements TensorSource {
        @Override
        public long[] shape() {
            return base.shape();
        }

        @Override
        public String origin() {
            return base.origin() + " merged with LoRA " + a.name() + " of " + adapterFile.path();
        }

        /** Merged on demand (A and B read then too), so only one merged tensor at a time occupies the heap. */
        @Override
        public float[] floats() {
            long[] shape = base.shape();
            float[] w = base.floats();
            LoraMerge.addScaledProduct(w, (int) shape[0], (int) shape[1], adapterFile.floats(b.name()),
                    adapterFile.floats(a.name()), rank, scale);
            return w;
        }

        @Override
        public void write(ByteBuffer dst, boolean float16) {
            TensorConversion.write(floats(), dst, float16);
        }
    }
}
