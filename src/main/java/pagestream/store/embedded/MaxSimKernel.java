package pagestream.store.embedded;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact MaxSim of one query against one page in {@link PageTiles} layout:
 * {@code Σ_j max_i q_j · p_i}.
 *
 * <p>Register blocking: each tile vector (one dimension of {@code LANES} page rows) is loaded once per block of
 * {@link #BLOCK} query rows and feeds {@code BLOCK} independent FMA chains (enough to hide FMA latency), each
 * with that query row's element broadcast. The running maximum per query row and lane lives in {@code runMax}
 * and is reduced across lanes once per page. The inner loop is pure FMA: 2·rows·dim·queryRows flops per page.
 *
 * <p>Not thread-safe per instance ({@code runMax} is scratch); use one kernel per thread.
 */
final class MaxSimKernel {

    private static final VectorSpecies<Float> S = PageTiles.SPECIES;
    private static final int L = PageTiles.LANES;
    static final int BLOCK = 4;

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
        java.util.Arrays.fill(runMax, Float.NEGATIVE_INFINITY);
        int tileLength = L * dim;
        for (int base = 0; base < tiles.length; base += tileLength) {
            int j = 0;
            for (; j + BLOCK <= queryRows; j += BLOCK) {
                blockOfFour(tiles, base, j);
            }
            for (; j < queryRows; j++) {
                single(tiles, base, j);
            }
        }
        float sum = 0f;
        for (int j = 0; j < queryRows; j++) {
            sum += FloatVector.fromArray(S, runMax, j * L).reduceLanes(VectorOperators.MAX);
        }
        return sum;
    }

    private void blockOfFour(float[] tiles, int base, int j) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        int q0 = j * dim;
        int q1 = q0 + dim;
        int q2 = q1 + dim;
        int q3 = q2 + dim;
        for (int d = 0; d < dim; d++) {
            FloatVector v = FloatVector.fromArray(S, tiles, base + d * L); // dim d of L page rows
            a0 = v.fma(FloatVector.broadcast(S, query[q0 + d]), a0);
            a1 = v.fma(FloatVector.broadcast(S, query[q1 + d]), a1);
            a2 = v.fma(FloatVector.broadcast(S, query[q2 + d]), a2);
            a3 = v.fma(FloatVector.broadcast(S, query[q3 + d]), a3);
        }
        keepMax(j, a0);
        keepMax(j + 1, a1);
        keepMax(j + 2, a2);
        keepMax(j + 3, a3);
    }

    private void single(float[] tiles, int base, int j) {
        FloatVector a = FloatVector.zero(S);
        int q = j * dim;
        for (int d = 0; d < dim; d++) {
            a = FloatVector.fromArray(S, tiles, base + d * L).fma(FloatVector.broadcast(S, query[q + d]), a);
        }
        keepMax(j, a);
    }

    private void keepMax(int j, FloatVector dots) {
        FloatVector.fromArray(S, runMax, j * L).max(dots).intoArray(runMax, j * L);
    }
}
