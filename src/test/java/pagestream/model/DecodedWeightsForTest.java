package pagestream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import pagestream.model.checkpoint.CheckpointException;
import pagestream.model.checkpoint.Weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** THROWAWAY until the checkpoint branch lands: F32 single-file safetensors through DJL's decoder. */
public final class DecodedWeightsForTest implements Weights {

    private final NDManager manager;
    private final Map<String, NDArray> arrays = new HashMap<>();
    private final Set<String> used = new HashSet<>();

    public DecodedWeightsForTest(Path dir, NDManager parent) throws IOException {
        manager = parent.newSubManager();
        for (NDArray a : NDList.decode(manager, Files.readAllBytes(dir.resolve("model.safetensors")))) {
            arrays.put(a.getName(), a);
        }
    }

    @Override
    public Set<String> names() {
        return arrays.keySet();
    }

    @Override
    public Shape shape(String name) {
        NDArray a = arrays.get(name);
        if (a == null) {
            throw new CheckpointException("no tensor " + name);
        }
        return a.getShape();
    }

    @Override
    public NDArray load(String name, NDManager target, DataType dtype) {
        shape(name);
        used.add(name);
        NDArray copy = arrays.get(name).toType(dtype, true);
        copy.attach(target);
        return copy;
    }

    @Override
    public void checkAllUsed() {
        Set<String> unused = new TreeSet<>(arrays.keySet());
        unused.removeAll(used);
        if (!unused.isEmpty()) {
            throw new CheckpointException("unused tensors " + unused);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
