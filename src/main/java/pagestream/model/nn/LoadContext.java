package pagestream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import pagestream.model.checkpoint.CheckpointException;
import pagestream.model.checkpoint.Weights;

/**
 * What a module needs to load its parameters: the checkpoint, the manager that owns the parameters for the model's
 * lifetime, and the compute dtype of matmul weights (FLOAT32 on CPU, FLOAT16 on CUDA). Norm parameters always load
 * in FLOAT32 because the reference computes norms in float32.
 */
public record LoadContext(Weights weights, NDManager manager, DataType computeType) {

    /** A matmul weight or bias in the compute dtype, its shape checked. */
    public NDArray compute(String name, long... expectedShape) {
        return load(name, computeType, expectedShape);
    }

    /** A norm parameter (or anything else the reference keeps in float32), its shape checked. */
    public NDArray float32(String name, long... expectedShape) {
        return load(name, DataType.FLOAT32, expectedShape);
    }

    private NDArray load(String name, DataType type, long... expectedShape) {
        Shape expected = new Shape(expectedShape);
        Shape actual = weights.shape(name);
        if (!actual.equals(expected)) {
            throw new CheckpointException("checkpoint tensor " + name + " has shape " + actual + ", the config implies "
                    + expected);
        }
        return weights.load(name, manager, type);
    }
}
