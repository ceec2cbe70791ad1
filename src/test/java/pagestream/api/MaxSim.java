package pagestream.api;

import pagestream.model.MultiVector;

/** The reference late-interaction score, in double: {@code Σ_q max_p q·p}. */
final class MaxSim {

    private MaxSim() {
    }

    static double score(MultiVector query, MultiVector page) {
        if (query.dim() != page.dim()) {
            throw new IllegalArgumentException("dims differ: " + query.dim() + " vs " + page.dim());
        }
        int dim = query.dim();
        double total = 0;
        for (int q = 0; q < query.rows(); q++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int p = 0; p < page.rows(); p++) {
                double dot = 0;
                for (int d = 0; d < dim; d++) {
                    dot += (double) query.data()[q * dim + d] * page.data()[p * dim + d];
                }
                best = Math.max(best, dot);
            }
            total += best;
        }
        return total;
    }
}
