package pagestream.model.colpali;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import pagestream.model.GoldenRun;
import pagestream.model.GoldenTensors;
import pagestream.model.checkpoint.Checkpoints;
import pagestream.model.checkpoint.Weights;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * fp32 parity with transformers v4.57.6 on the tiny-a golden checkpoint: every intermediate the reference recorded
 * is compared (one dynamic test per tensor, so a failure names the first layer that drifts), then embeddings and
 * MaxSim scores, for a page batch and right- and left-padded query batches.
 */
class ColPaliParityTest {

    static final Path DIR = Path.of("src/test/resources/golden/tiny-a");
    static final float HIDDEN_TOL = 1e-5f;
    static final float SCORE_TOL = 1e-4f;

    static NDManager base;
    static GoldenTensors golden;
    static ColPaliForRetrieval model;
    static Map<String, float[]> image;
    static Map<String, float[]> query;
    static Map<String, float[]> queryLeft;

    @BeforeAll
    static void runReference() throws Exception {
        base = NDManager.newBaseManager();
        golden = new GoldenTensors(DIR);
        try (Weights weights = Checkpoints.open(DIR)) {
            model = ColPaliForRetrieval.load(ColPaliConfig.load(DIR), weights, base, DataType.FLOAT32);
        }
        image = GoldenRun.run(model, golden, base, "image_");
        query = GoldenRun.run(model, golden, base, "query_");
        queryLeft = GoldenRun.run(model, golden, base, "query_left_");
    }

    @AfterAll
    static void close() {
        model.close();
        golden.close();
        base.close();
    }

    @TestFactory
    Stream<DynamicTest> pageBatchIntermediates() {
        List<String> names = new ArrayList<>(List.of("vision_embeddings"));
        for (int i = 0; i < 2; i++) {
            names.add("vision_layer" + i + "_output");
        }
        names.addAll(List.of("vision_last_hidden_state", "projector_output", "features_scaled",
                "decoder_inputs_embeds", "decoder_layer0_input", "rope_cos", "rope_sin"));
        names.addAll(decoderTail());
        return compareAll("image_", names, image);
    }

    @TestFactory
    Stream<DynamicTest> rightPaddedQueryIntermediates() {
        List<String> names = new ArrayList<>(List.of("decoder_inputs_embeds", "decoder_layer0_input"));
        names.addAll(decoderTail());
        return compareAll("query_", names, query);
    }

    @TestFactory
    Stream<DynamicTest> leftPaddedQueryOutputs() {
        return compareAll("query_left_", List.of("decoder_final_hidden", "embeddings"), queryLeft);
    }

    private static List<String> decoderTail() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            names.add("decoder_layer" + i + "_output");
        }
        names.addAll(List.of("decoder_final_hidden", "proj_raw", "embeddings"));
        return names;
    }

    private Stream<DynamicTest> compareAll(String prefix, List<String> names, Map<String, float[]> taps) {
        return names.stream().map(name -> DynamicTest.dynamicTest(prefix + name, () -> {
            float[] expected = golden.floats(prefix + name);
            float[] actual = taps.get(name);
            assertThat(actual).as("tap %s was not recorded", name).isNotNull();
            assertThat(actual.length).as("%s%s element count", prefix, name).isEqualTo(expected.length);
            assertClose(prefix + name, expected, actual, HIDDEN_TOL);
        }));
    }

    @Test
    void paddingRowsAreExactlyZero() {
        long[] mask = golden.longs("query_attention_mask");
        float[] emb = query.get("embeddings");
        int dim = emb.length / mask.length;
        for (int p = 0; p < mask.length; p++) {
            for (int j = 0; j < dim; j++) {
                if (mask[p] == 0) {
                    assertThat(emb[p * dim + j]).as("padding row %d", p).isEqualTo(0f);
                }
            }
        }
    }

    @Test
    void maxSimScoresMatchReference() {
        int dim = 16;
        assertClose("scores", golden.floats("scores"), scores(query.get("embeddings"), image.get("embeddings"), dim),
                SCORE_TOL);
        assertClose("scores_left", golden.floats("scores_left"),
                scores(queryLeft.get("embeddings"), image.get("embeddings"), dim), SCORE_TOL);
    }

    /** score[q, p] = Σ_n max_s ⟨Q[q, n], P[p, s]⟩ over all rows (padding rows are zero). */
    static float[] scores(float[] queries, float[] pages, int dim) {
        int nq = 3;
        int np = 2;
        int lq = queries.length / nq / dim;
        int lp = pages.length / np / dim;
        float[] out = new float[nq * np];
        for (int q = 0; q < nq; q++) {
            for (int p = 0; p < np; p++) {
                float total = 0;
                for (int n = 0; n < lq; n++) {
                    float best = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s < lp; s++) {
                        float dot = 0;
                        for (int j = 0; j < dim; j++) {
                            dot += queries[(q * lq + n) * dim + j] * pages[(p * lp + s) * dim + j];
                        }
                        best = Math.max(best, dot);
                    }
                    total += best;
                }
                out[q * np + p] = total;
            }
        }
        return out;
    }

    static void assertClose(String name, float[] expected, float[] actual, float tol) {
        float worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            float diff = Math.abs(expected[i] - actual[i]);
            if (!(diff <= worst)) {
                worst = diff;
                at = i;
            }
        }
        assertThat(worst).as("%s: max |diff| at flat index %d (expected %s, got %s)", name, at,
                at < 0 ? "-" : expected[at], at < 0 ? "-" : actual[at]).isLessThanOrEqualTo(tol);
    }
}
