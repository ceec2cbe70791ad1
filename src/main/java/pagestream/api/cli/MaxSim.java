package pagestream.api.cli;

/**
 * ColPali's late-interaction score as {@code ColPaliProcessor.score_retrieval} computes it:
 * {@code score[q, p] = sum over query rows n of max over page rows s of <Q[q, n], P[p, s]>}.
 * Zeroed padding rows take part and add nothing, as in the reference.
 */
final class MaxSim {

    private MaxSim() {
    }

    /**
     * @param queries {@code [numQueries, queryRows, dim]} row-major
     * @param pages   {@code [numPages, pageRows, dim]} row-major
     * @return {@code [numQueries, numPages]}
     */
    static float[] scores(float[] queries, int numQueries, float[] pages, int numPages, int dim) {
        int queryRows = queries.length / numQueries / dim;
        int pageRows = pages.length / numPages / dim;
        float[] scores = new float[numQueries * numPages];
        for (int q = 0; q < numQueries; q++) {
            for (int p = 0; p < numPages; p++) {
                scores[q * numPages + p] = score(queries, q * queryRows * dim, queryRows,
                        pages, p * pageRows * dim, pageRows, dim);
            }
        }
        return scores;
    }

    static float score(float[] query, int queryOffset, int queryRows, float[] page, int pageOffset, int pageRows,
                       int dim) {
        double total = 0;
        for (int n = 0; n < queryRows; n++) {
            int qi = queryOffset + n * dim;
            float best = Float.NEGATIVE_INFINITY;
            for (int s = 0; s < pageRows; s++) {
                int pi = pageOffset + s * dim;
                float dot = 0;
                for (int d = 0; d < dim; d++) {
                    dot += query[qi + d] * page[pi + d];
                }
                best = Math.max(best, dot);
            }
            total += pageRows == 0 ? 0 : best;
        }
        return (float) total;
    }
}
