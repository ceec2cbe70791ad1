package pagestream.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A forward pass's output as the reference returns it: {@code [batch, length, dim]} row-major, padding rows zero,
 * with the attention mask that marks them.
 */
public record EmbeddingBatch(int batch, int length, int dim, float[] data, long[] attentionMask) {

    public EmbeddingBatch {
        if (data.length != (long) batch * length * dim || attentionMask.length != (long) batch * length) {
            throw new IllegalArgumentException("embedding batch " + batch + "x" + length + "x" + dim
                    + " does not match its arrays");
        }
    }

    /** One {@link MultiVector} per item, rows with attention mask 0 removed (order kept). */
    public List<MultiVector> multiVectors() {
        List<MultiVector> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            int rows = 0;
            for (int s = 0; s < length; s++) {
                rows += attentionMask[b * length + s] != 0 ? 1 : 0;
            }
            float[] vectors = new float[rows * dim];
            int r = 0;
            for (int s = 0; s < length; s++) {
                if (attentionMask[b * length + s] != 0) {
                    System.arraycopy(data, (b * length + s) * dim, vectors, r++ * dim, dim);
                }
            }
            out.add(new MultiVector(rows, dim, vectors));
        }
        return out;
    }
}
