package pagestream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Grouped-query attention with several kv heads (the golden tiny model has one): the folded matmul must give query
 * head h the kv head h / G, as transformers' repeat_kv does, and the mask must block only padded keys, whether
 * the query rows are taken in one piece or in blocks.
 */
class EagerAttentionTest {

    /**
     * Unblocked, and in blocks: B·Hkv = 4 problems of G·S = 10 query rows × S = 5 keys (50 scores each), taken one
     * row at a time (1), in rows of 4 + 4 + 2 (20), 5 + 5 (40), one problem at a time (60), two (100) and three + one
     * (150).
     */
    @ParameterizedTest
    @ValueSource(longs = {Long.MAX_VALUE, 1, 20, 40, 60, 100, 150})
    void foldedGroupedQueryAttentionMatchesRepeatKv(long blockFloats) {
        int b = 2, s = 5, hq = 4, hkv = 2, d = 3;
        Random random = new Random(3);
        float[] q = randoms(random, b * s * hq * d);
        float[] k = randoms(random, b * s * hkv * d);
        float[] v = randoms(random, b * s * hkv * d);
        long[] keep = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0}; // batch 1 has two padded keys
        float scale = 0.5f;
        float[] actual;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(keep, new Shape(b, s)).eq(0).toType(DataType.FLOAT32, false)
                    .muli(-Float.MAX_VALUE).reshape(b, 1, 1, s);
            actual = EagerAttention.attend(m.create(q, new Shape(b, s, hq, d)), m.create(k, new Shape(b, s, hkv, d)),
                    m.create(v, new Shape(b, s, hkv, d)), mask, scale, blockFloats).toFloatArray();
        }
        int g = hq / hkv;
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < hq; h++) {
                int kv = h / g; // repeat_kv
                for (int i = 0; i < s; i++) {
                    double[] w = new double[s];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < s; j++) {
                        double dot = 0;
                        for (int x = 0; x < d; x++) {
                            dot += q[((bi * s + i) * hq + h) * d + x] * k[((bi * s + j) * hkv + kv) * d + x];
                        }
                        w[j] = keep[bi * s + j] == 0 ? Double.NEGATIVE_INFINITY : dot * scale;
                        max = Math.max(max, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < s; j++) {
                        w[j] = Math.exp(w[j] - max);
                        sum += w[j];
                    }
                    for (int x = 0; x < d; x++) {
                        double out = 0;
                        for (int j = 0; j < s; j++) {
                            out += w[j] / sum * v[((bi * s + j) * hkv + kv) * d + x];
                        }
                        float got = actual[((bi * s + i) * hq + h) * d + x]; // [B, S, Hq·D]
                        assertThat((double) got).as("b%d h%d i%d x%d", bi, h, i, x)
                                .isCloseTo(out, org.assertj.core.data.Offset.offset(1e-5));
                    }
                }
            }
        }
    }

    private static float[] randoms(Random random, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian();
        }
        return out;
    }
}
