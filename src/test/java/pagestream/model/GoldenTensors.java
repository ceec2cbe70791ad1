package pagestream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The tensors of a golden.safetensors file, copied to host arrays. */
public final class GoldenTensors {

    private final Map<String, NDArray> arrays = new HashMap<>();
    private final NDManager manager;

    public GoldenTensors(Path file, NDManager parent) throws IOException {
        this.manager = parent.newSubManager();
        NDList list = NDList.decode(manager, Files.readAllBytes(file));
        for (NDArray a : list) {
            arrays.put(a.getName(), a);
        }
    }

    public NDArray get(String name) {
        NDArray a = arrays.get(name);
        if (a == null) {
            throw new IllegalArgumentException("golden tensor " + name + " not found; have " + arrays.keySet());
        }
        return a;
    }

    public float[] floats(String name) {
        return get(name).toType(ai.djl.ndarray.types.DataType.FLOAT32, true).toFloatArray();
    }

    public Shape shape(String name) {
        return get(name).getShape();
    }

    public void close() {
        manager.close();
    }
}
