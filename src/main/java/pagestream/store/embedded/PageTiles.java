package pagestream.store.embedded;

/**
 * The scan layout of one page's vectors: rows grouped in tiles of {@link #TILE_ROWS} = 2 × {@link #LANES} rows,
 * each tile stored dimension-major ({@code tile[d * TILE_ROWS + r] = row(r)[d]}). Two SIMD loads at a constant
 * distance then hold dimension {@code d} of {@code TILE_ROWS} different rows, so a query row broadcast times those
 * loads accumulates {@code TILE_ROWS} dot products at once, with no horizontal reduction per dot product.
 *
 * <p>Why two vectors wide: the kernel's micro-kernel consumes two vectors per dimension, and with both in one
 * tile a scan reads each page front to back as one sequential stream, one cache line per dimension (two separate
 * one-vector tiles meant two interleaved streams and a jump per tile pair), and both loads address off one index.
 *
 * <p>The last tile is filled up by repeating the page's last row: a repeated row scores exactly like the real
 * one, so it can never change a maximum, and the kernel needs no masks and no remainder loop.
 */
public final class PageTiles {

    /** Float lanes of the SIMD kernel's vectors; without the Vector API, 8 (the layout is then only a layout). */
    public static final int LANES = VectorApi.ENABLED ? MaxSimKernel.LANES : 8;
    public static final int TILE_ROWS = 2 * LANES;

    private PageTiles() {
    }

    public static int tileCount(int rows) {
        return (rows + TILE_ROWS - 1) / TILE_ROWS;
    }

    /** Row-major [rows, dim] → tiles [tileCount(rows), dim, TILE_ROWS]. */
    public static float[] fromRows(float[] rowMajor, int rows, int dim) {
        float[] tiles = new float[tileCount(rows) * TILE_ROWS * dim];
        for (int r = 0; r < tileCount(rows) * TILE_ROWS; r++) {
            int src = Math.min(r, rows - 1) * dim;
            int dst = tileStart(r, dim);
            for (int d = 0; d < dim; d++) {
                tiles[dst + d * TILE_ROWS] = rowMajor[src + d];
            }
        }
        return tiles;
    }

    /** Inverse of {@link #fromRows}: the first {@code rows} rows, row-major. */
    public static float[] toRows(float[] tiles, int rows, int dim) {
        float[] rowMajor = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            int src = tileStart(r, dim);
            for (int d = 0; d < dim; d++) {
                rowMajor[r * dim + d] = tiles[src + d * TILE_ROWS];
            }
        }
        return rowMajor;
    }

    /** Index of row {@code r}'s dimension 0. */
    private static int tileStart(int r, int dim) {
        return (r / TILE_ROWS) * TILE_ROWS * dim + r % TILE_ROWS;
    }
}
