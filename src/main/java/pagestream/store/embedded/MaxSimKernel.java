package pagestream.store.embedded;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Exact MaxSim of one query against one page in {@link PageTiles} layout: {@code Σ_j max_i q_j · p_i}.
 *
 * <p>Register blocking (an outer-product micro-kernel, one tile × 5 query rows): for each dimension {@code d},
 * the tile's two vectors (dimension {@code d} of 2·LANES page rows) are loaded once and each of five query rows'
 * element {@code d} is broadcast from memory once, feeding 10 independent FMA accumulators: 10 chains cover the
 * FMA latency × throughput (4 × 2 on Zen 3) with slack, where the previous 2 × 4 block had exactly 8 and no
 * slack. With 2 tile vectors and 2 live broadcasts that is 14 of AVX2's 16 vector registers; 3 × 4 and 2 × 6
 * (12 accumulators) spilled accumulators to the stack and lost. The measurements are in the README (Benchmarks).
 *
 * <p>Query rows go in blocks of 5, then 4 (every count from 12 up is 5a + 4b, so typical queries need no
 * padding); a count that is not such a sum is padded up to the next one by repeating the last row, and padded
 * rows are left out of the sum. The query is copied once per search into block order, each block
 * dimension-interleaved ({@code [d][row of block]}), so a step's broadcasts are 5 adjacent floats at constant
 * offsets from one index.
 *
 * <p>The running maximum per query row and lane lives in {@code runMax} and is reduced across lanes once per
 * page. Not thread-safe per instance ({@code runMax} is scratch); use one kernel per thread.
 */
final class MaxSimKernel implements PageScorer {

    /** The widest float vector this CPU runs natively (8 lanes on AVX2, 16 on AVX-512). */
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();

    private static final VectorSpecies<Float> S = SPECIES;
    private static final int L = LANES;
    private static final int W = 2 * L; // = PageTiles.TILE_ROWS (PageTiles initialises from this class)

    private final int queryRows;
    private final int dim;
    private final int fiveRowEnd;
    private final int paddedRows;
    private final float[] blocks;
    private final float[] runMax;

    /** {@code query} row-major [queryRows, dim]. */
    MaxSimKernel(float[] query, int queryRows, int dim) {
        this.queryRows = queryRows;
        this.dim = dim;
        this.paddedRows = paddedRows(queryRows);
        this.fiveRowEnd = 5 * fiveRowBlocks(paddedRows);
        this.blocks = new float[paddedRows * dim];
        for (int j = 0; j < paddedRows; j++) {
            int blockStart = j < fiveRowEnd ? j - j % 5 : j - (j - fiveRowEnd) % 4;
            int blockRows = j < fiveRowEnd ? 5 : 4;
            int src = Math.min(j, queryRows - 1) * dim;
            for (int d = 0; d < dim; d++) {
                blocks[blockStart * dim + d * blockRows + (j - blockStart)] = query[src + d];
            }
        }
        this.runMax = new float[paddedRows * L];
    }

    /** The smallest count ≥ {@code rows} that is a sum of 5s and 4s. */
    static int paddedRows(int rows) {
        int n = rows;
        while (fiveRowBlocks(n) < 0) {
            n++;
        }
        return n;
    }

    /** The most 5-row blocks that leave a multiple of 4 rows, or -1 if there is none. */
    private static int fiveRowBlocks(int rows) {
        for (int fives = rows / 5; fives >= 0; fives--) {
            if ((rows - 5 * fives) % 4 == 0) {
                return fives;
            }
        }
        return -1;
    }

    @Override
    public float score(float[] tiles) {
        Arrays.fill(runMax, Float.NEGATIVE_INFINITY);
        int tileLength = W * dim;
        for (int tile = 0; tile < tiles.length; tile += tileLength) {
            int j = 0;
            for (; j < fiveRowEnd; j += 5) {
                fiveRows(tiles, tile, j);
            }
            for (; j < paddedRows; j += 4) {
                fourRows(tiles, tile, j);
            }
        }
        float sum = 0f;
        for (int j = 0; j < queryRows; j++) {
            sum += FloatVector.fromArray(S, runMax, j * L).reduceLanes(VectorOperators.MAX);
        }
        return sum;
    }

    /*
     * The loops step two indices (tile offset o, query offset k) instead of deriving both from d, on purpose:
     * C2 then keeps the range checks on blocks[k..k+4] inside the loop, and they pin the broadcasts next to their
     * FMAs. Derived from d, the checks are hoisted, C2 issues all five broadcasts first, needs 17 vector
     * registers and spills an accumulator to the stack on every step (measured 0.7x of this form).
     */

    private void fiveRows(float[] tiles, int tile, int j) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0; // rows j..j+4 × lanes 0..L-1
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0;                  // rows j..j+4 × lanes L..2L-1
        int end = tile + dim * W;
        for (int o = tile, k = j * dim; o < end; o += W, k += 5) {
            FloatVector v = FloatVector.fromArray(S, tiles, o);
            FloatVector w = FloatVector.fromArray(S, tiles, o + L);
            FloatVector x = FloatVector.broadcast(S, blocks[k]);
            a0 = v.fma(x, a0);
            b0 = w.fma(x, b0);
            x = FloatVector.broadcast(S, blocks[k + 1]);
            a1 = v.fma(x, a1);
            b1 = w.fma(x, b1);
            x = FloatVector.broadcast(S, blocks[k + 2]);
            a2 = v.fma(x, a2);
            b2 = w.fma(x, b2);
            x = FloatVector.broadcast(S, blocks[k + 3]);
            a3 = v.fma(x, a3);
            b3 = w.fma(x, b3);
            x = FloatVector.broadcast(S, blocks[k + 4]);
            a4 = v.fma(x, a4);
            b4 = w.fma(x, b4);
        }
        keepMax(j, a0.max(b0));
        keepMax(j + 1, a1.max(b1));
        keepMax(j + 2, a2.max(b2));
        keepMax(j + 3, a3.max(b3));
        keepMax(j + 4, a4.max(b4));
    }

    private void fourRows(float[] tiles, int tile, int j) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int end = tile + dim * W;
        for (int o = tile, k = j * dim; o < end; o += W, k += 4) {
            FloatVector v = FloatVector.fromArray(S, tiles, o);
            FloatVector w = FloatVector.fromArray(S, tiles, o + L);
            FloatVector x = FloatVector.broadcast(S, blocks[k]);
            a0 = v.fma(x, a0);
            b0 = w.fma(x, b0);
            x = FloatVector.broadcast(S, blocks[k + 1]);
            a1 = v.fma(x, a1);
            b1 = w.fma(x, b1);
            x = FloatVector.broadcast(S, blocks[k + 2]);
            a2 = v.fma(x, a2);
            b2 = w.fma(x, b2);
            x = FloatVector.broadcast(S, blocks[k + 3]);
            a3 = v.fma(x, a3);
            b3 = w.fma(x, b3);
        }
        keepMax(j, a0.max(b0));
        keepMax(j + 1, a1.max(b1));
        keepMax(j + 2, a2.max(b2));
        keepMax(j + 3, a3.max(b3));
    }

    private void keepMax(int j, FloatVector dots) {
        FloatVector.fromArray(S, runMax, j * L).max(dots).intoArray(runMax, j * L);
    }
}
