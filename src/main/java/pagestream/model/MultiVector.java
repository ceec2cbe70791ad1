package pagestream.model;

import java.util.Objects;

/**
 * One ColPali multi-vector: {@code rows} L2-normalised vectors of {@code dim} floats, row-major in {@code data}.
 * A page gives ~1030 rows, a query ~25. Rows that were padding in the model's batch are removed before a
 * MultiVector is made, so every row here is a real token's vector.
 */
public record MultiVector(int rows, int dim, float[] data) {

    public MultiVector {
        Objects.requireNonNull(data, "data");
        if (rows < 0 || dim <= 0 || data.length != (long) rows * dim) {
            throw new IllegalArgumentException(
                    "MultiVector of " + rows + "x" + dim + " needs " + ((long) rows * dim) + " floats, got " + data.length);
        }
    }

    /** Copies row {@code r} out (for clients that want {@code float[][]}, e.g. Qdrant's VectorFactory). */
    public float[] row(int r) {
        float[] out = new float[dim];
        System.arraycopy(data, r * dim, out, 0, dim);
        return out;
    }

    public float[][] toArray() {
        float[][] out = new float[rows][];
        for (int r = 0; r < rows; r++) {
            out[r] = row(r);
        }
        return out;
    }
}
