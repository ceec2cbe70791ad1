package pagestream.store.embedded;

import java.util.Arrays;

/**
 * {@link MaxSimKernel}'s fallback for a JVM started without the Vector API (see {@link VectorApi}): the same
 * {@link PageTiles} layout, scored with plain loops ({@code bench-maxsim} measures the SIMD kernel ~18× faster than
 * a scalar loop on AVX2). The inner loop runs over a tile's rows at one dimension, so it reads the tile
 * sequentially and HotSpot's auto-vectoriser can still use some SIMD.
 */
final class ScalarMaxSimKernel implements PageScorer {

    private static final int W = PageTiles.TILE_ROWS;

    private final float[] query;
    private final int queryRows;
    private final int dim;
    private final float[] dots = new float[W];
    private final float[] best;

    /** {@code query} row-major [queryRows, dim]. */
    ScalarMaxSimKernel(float[] query, int queryRows, int dim) {
        this.query = query;
        this.queryRows = queryRows;
        this.dim = dim;
        this.best = new float[queryRows];
    }

    @Override
    public float score(float[] tiles) {
        Arrays.fill(best, Float.NEGATIVE_INFINITY);
        int tileLength = W * dim;
        for (int base = 0; base < tiles.length; base += tileLength) {
            for (int j = 0; j < queryRows; j++) {
                Arrays.fill(dots, 0f);
                for (int d = 0; d < dim; d++) {
                    float q = query[j * dim + d];
                    int o = base + d * W;
                    for (int r = 0; r < W; r++) {
                        dots[r] += q * tiles[o + r];
                    }
                }
                float max = best[j];
                for (float dot : dots) {
                    max = Math.max(max, dot);
                }
                best[j] = max;
            }
        }
        float sum = 0f;
        for (float b : best) {
            sum += b;
        }
        return sum;
    }
}
