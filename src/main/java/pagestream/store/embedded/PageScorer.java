package pagestream.store.embedded;

/** Exact MaxSim of one query against one page in {@link PageTiles} layout; one instance per thread (scratch). */
interface PageScorer {

    float score(float[] tiles);

    /** The SIMD kernel when the Vector API is enabled, else the scalar one (same layout, same results ±rounding). */
    static PageScorer forQuery(float[] query, int queryRows, int dim) {
        return VectorApi.ENABLED ? new MaxSimKernel(query, queryRows, dim)
                : new ScalarMaxSimKernel(query, queryRows, dim);
    }
}
