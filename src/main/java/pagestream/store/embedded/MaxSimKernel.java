package pagestream.store.embedded;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Exact MaxSim of one query against one page in {@link PageTiles} layout: {@code Σ_j max_i q_j · p_i}.
 *
 * <p>Register blocking (an outer-product micro-kernel, 2 × 4): for each dimension {@code d}, two tile vectors
 * (dimension {@code d} of 2·LANES page rows) are loaded once and each of four query rows' element {@code d} is
 * broadcast once, feeding 8 independent FMA accumulators: 8 FMAs per 6 loads, enough independent chains to hide
 * FMA latency, and 11 live vector registers, which fits AVX2's 16 (AVX-512 has 32). The running maximum per
 * query row and lane lives in {@code runMax} and is reduced across lanes once per page. Measured against a
 * 1 × 4 block (one tile per step) it was ~15 % faster on AVX2; see notes/store.md.
 *
 * <p>Not thread-safe per instance ({@code runMax} is scratch); use one kernel per thread.
 */
final class MaxSimKernel {

    private static final VectorSpecies<Float> S = PageTiles.SPECIES;
    private static final int L = PageTiles.LANES;
    private static final int QUERY_BLOCK = 4;

    private final float[] query;
    private final int queryRows;
    private final int dim;
    private final float[] runMax;

    /** {@code query} row-major [queryRows, dim]. */
    MaxSimKernel(float[] query, int queryRows, int dim) {
        this.query = query;
        this.queryRows = queryRows;
        this.dim = dim;
        this.runMax = new float[queryRows * L];
    }

    float score(float[] tiles) {
        Arrays.fill(runMax, Float.NEGATIVE_INFINITY);
        int tileLength = L * dim;
        int base = 0;
        for (; base + 2 * tileLength <= tiles.length; base += 2 * tileLength) {
            int j = 0;
            for (; j + QUERY_BLOCK <= queryRows; j += QUERY_BLOCK) {
                twoTilesFourRows(tiles, base, base + tileLength, j);
            }
            for (; j < queryRows; j++) {
                oneTileOneRow(tiles, base, j);
                oneTileOneRow(tiles, base + tileLength, j);
            }
        }
        for (; base < tiles.length; base += tileLength) { // an odd last tile
            for (int j = 0; j < queryRows; j++) {
                oneTileOneRow(tiles, base, j);
            }
        }
        float sum = 0f;
        for (int j = 0; j < queryRows; j++) {
            sum += FloatVector.fromArray(S, runMax, j * L).reduceLanes(VectorOperators.MAX);
        }
        return sum;
    }

    private void twoTilesFourRows(float[] tiles, int tile0, int tile1, int j) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0; // query rows j..j+3 × tile 0
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;                  // query rows j..j+3 × tile 1
        int q0 = j * dim;
        int q1 = q0 + dim;
        int q2 = q1 + dim;
        int q3 = q2 + dim;
        for (int d = 0; d < dim; d++) {
            FloatVector v = FloatVector.fromArray(S, tiles, tile0 + d * L); // dim d of L page rows
            FloatVector w = FloatVector.fromArray(S, tiles, tile1 + d * L); // dim d of the next L rows
            FloatVector x = FloatVector.broadcast(S, query[q0 + d]);
            a0 = v.fma(x, a0);
            b0 = w.fma(x, b0);
            x = FloatVector.broadcast(S, query[q1 + d]);
            a1 = v.fma(x, a1);
            b1 = w.fma(x, b1);
            x = FloatVector.broadcast(S, query[q2 + d]);
            a2 = v.fma(x, a2);
            b2 = w.fma(x, b2);
            x = FloatVector.broadcast(S, query[q3 + d]);
            a3 = v.fma(x, a3);
            b3 = w.fma(x, b3);
        }
        keepMax(j, a0.max(b0));
        keepMax(j + 1, a1.max(b1));
        keepMax(j + 2, a2.max(b2));
        keepMax(j + 3, a3.max(b3));
    }

    private void oneTileOneRow(float[] tiles, int tile, int j) {
        FloatVector a = FloatVector.zero(S);
        int q = j * dim;
        for (int d = 0; d < dim; d++) {
            a = FloatVector.fromArray(S, tiles, tile + d * L).fma(FloatVector.broadcast(S, query[q + d]), a);
        }
        keepMax(j, a);
    }

    private void keepMax(int j, FloatVector dots) {
        FloatVector.fromArray(S, runMax, j * L).max(dots).intoArray(runMax, j * L);
    }
}
