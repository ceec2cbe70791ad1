package pagestream.store.embedded;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The scan layout of one page's vectors: rows grouped in tiles of {@link #LANES} rows, each tile stored
 * dimension-major ({@code tile[d * LANES + lane] = row(lane)[d]}). One SIMD load then holds dimension {@code d}
 * of {@code LANES} different rows, so a query row broadcast times that load accumulates {@code LANES} dot
 * products at once, with no horizontal reduction per dot product.
 *
 * <p>The last tile is filled up by repeating the page's last row: a repeated row scores exactly like the real
 * one, so it can never change a maximum, and the kernel needs no masks.
 */
public final class PageTiles {

    public static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    public static final int LANES = SPECIES.length();

    private PageTiles() {
    }

    public static int tileCount(int rows) {
        return (rows + LANES - 1) / LANES;
    }

    /** Row-major [rows, dim] → tiles [tileCount(rows), dim, LANES]. */
    public static float[] fromRows(float[] rowMajor, int rows, int dim) {
        float[] tiles = new float[tileCount(rows) * LANES * dim];
        for (int r = 0; r < tileCount(rows) * LANES; r++) {
            int src = Math.min(r, rows - 1) * dim;
            int dst = (r / LANES) * LANES * dim + r % LANES;
            for (int d = 0; d < dim; d++) {
                tiles[dst + d * LANES] = rowMajor[src + d];
            }
        }
        return tiles;
    }

    /** Inverse of {@link #fromRows}: the first {@code rows} rows, row-major. */
    public static float[] toRows(float[] tiles, int rows, int dim) {
        float[] rowMajor = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            int src = (r / LANES) * LANES * dim + r % LANES;
            for (int d = 0; d < dim; d++) {
                rowMajor[r * dim + d] = tiles[src + d * LANES];
            }
        }
        return rowMajor;
    }
}
