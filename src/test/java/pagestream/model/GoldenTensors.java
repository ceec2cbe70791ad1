package pagestream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import pagestream.model.checkpoint.SafetensorsFile;

import java.nio.file.Path;

/** A golden.safetensors file (reference inputs, intermediates, outputs), read with the project's own reader. */
public final class GoldenTensors implements AutoCloseable {

    private final SafetensorsFile file;

    public GoldenTensors(Path dir) {
        this.file = SafetensorsFile.open(dir.resolve("golden.safetensors"));
    }

    public float[] floats(String name) {
        return file.floats(name);
    }

    public long[] longs(String name) {
        return file.longs(name);
    }

    public Shape shape(String name) {
        return new Shape(file.shape(name));
    }

    /** A float tensor as an NDArray on {@code manager}. */
    public NDArray floatArray(NDManager manager, String name) {
        return manager.create(floats(name), shape(name));
    }

    /** An integer tensor as an INT64 NDArray on {@code manager}. */
    public NDArray longArray(NDManager manager, String name) {
        return manager.create(longs(name), shape(name));
    }

    @Override
    public void close() {
        file.close();
    }
}
