package pagestream.store;

import pagestream.model.MultiVector;

import java.time.Instant;
import java.util.Random;

/** Small random L2-normalised multi-vectors and the plain MaxSim they must score. */
public final class StoreFixtures {

    private StoreFixtures() {
    }

    public static MultiVector randomVectors(Random rnd, int rows, int dim) {
        float[] data = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            double norm = 0;
            for (int d = 0; d < dim; d++) {
                float x = (float) rnd.nextGaussian();
                data[r * dim + d] = x;
                norm += x * x;
            }
            float scale = (float) (1 / Math.sqrt(norm));
            for (int d = 0; d < dim; d++) {
                data[r * dim + d] *= scale;
            }
        }
        return new MultiVector(rows, dim, data);
    }

    public static PagePoint page(Random rnd, String tenant, String docId, int page, int rows, int dim) {
        return PagePoint.of(tenant, docId, page, "{\"title\":\"" + docId + "\",\"page\":" + page + ",\"tags\":[\"a\",1,2.5,true,null]}",
                "ab".repeat(32), "test-model", Instant.parse("2026-11-26T22:00:00.123456Z"), randomVectors(rnd, rows, dim));
    }

    /** Σ over query rows of the largest dot product with any page row, in double precision. */
    public static double maxSim(MultiVector query, MultiVector page) {
        double sum = 0;
        for (int q = 0; q < query.rows(); q++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int p = 0; p < page.rows(); p++) {
                double dot = 0;
                for (int d = 0; d < query.dim(); d++) {
                    dot += (double) query.data()[q * query.dim() + d] * page.data()[p * page.dim() + d];
                }
                best = Math.max(best, dot);
            }
            sum += best;
        }
        return sum;
    }
}
