package pagestream.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/** {@link Weights} over memory-mapped safetensors files, keyed by canonical name. */
final class SafetensorsWeights implements Weights {

    private final String checkpoint;
    private final Map<String, TensorSource> tensors;
    private final List<SafetensorsFile> files;
    private final Set<String> used = ConcurrentHashMap.newKeySet();

    /**
     * @param checkpoint description for messages (the directory)
     * @param tensors    canonical name → source
     * @param files      opened files, closed with these weights
     */
    SafetensorsWeights(String checkpoint, Map<String, TensorSource> tensors, List<SafetensorsFile> files) {
        this.checkpoint = checkpoint;
        this.tensors = Map.copyOf(tensors);
        this.files = List.copyOf(files);
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(tensors.keySet()));
    }

    @Override
    public Shape shape(String canonicalName) {
        return new Shape(source(canonicalName).shape());
    }

    /** The tensor converted to a float32 array, marked as used (for Java-side consumers and tests). */
    public float[] floats(String canonicalName) {
        float[] values = source(canonicalName).floats();
        used.add(canonicalName);
        return values;
    }

    Map<String, TensorSource> tensors() {
        return tensors;
    }

    List<SafetensorsFile> files() {
        return files;
    }

    /** Where a tensor comes from (file, stored key, shape, dtype), for diagnostics. */
    String origin(String canonicalName) {
        return source(canonicalName).origin();
    }

    @Override
    public NDArray load(String canonicalName, NDManager manager, DataType dtype) {
        TensorSource source = source(canonicalName);
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new CheckpointException("cannot load " + source.origin() + " as " + dtype
                    + ": weights load as FLOAT32 or FLOAT16 (the PyTorch engine has no BFLOAT16)");
        }
        long[] shape = source.shape();
        long elements = new Shape(shape).size();
        long bytes = elements * dtype.getNumOfBytes();
        if (bytes > Integer.MAX_VALUE) {
            throw new CheckpointException("cannot load " + source.origin() + " as " + dtype + ": " + bytes
                    + " bytes exceed the 2 GiB limit of one native buffer");
        }
        // A fresh direct buffer per tensor: the PyTorch engine wraps it without copying and keeps it alive.
        ByteBuffer buffer;
        try {
            buffer = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
        } catch (OutOfMemoryError e) { // the direct-memory reservation failed; nothing was allocated
            throw new CheckpointException("cannot allocate " + bytes + " bytes of direct memory for "
                    + source.origin() + " as " + dtype + ": raise -XX:MaxDirectMemorySize (on CPU the model's "
                    + "tensors live in direct memory)", e);
        }
        source.write(buffer, dtype == DataType.FLOAT16);
        buffer.rewind();
        NDArray array = manager.create(buffer, new Shape(shape), dtype);
        array.setName(canonicalName);
        used.add(canonicalName);
        return array;
    }

    @Override
    public void checkAllUsed() {
        Set<String> unused = new TreeSet<>(tensors.keySet());
        unused.removeAll(used);
        if (!unused.isEmpty()) {
            throw new CheckpointException(unused.size() + " tensor(s) of " + checkpoint
                    + " were never used by the model (unknown layout or wrong config?): " + unused);
        }
    }

    private TensorSource source(String canonicalName) {
        TensorSource source = tensors.get(canonicalName);
        if (source == null) {
            throw new CheckpointException("missing tensor '" + canonicalName + "' in checkpoint " + checkpoint);
        }
        return source;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return checkpoint;
    }
}
