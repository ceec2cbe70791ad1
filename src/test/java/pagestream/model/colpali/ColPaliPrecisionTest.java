package pagestream.model.colpali;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pagestream.model.GoldenRun;
import pagestream.model.GoldenTensors;
import pagestream.model.checkpoint.Checkpoints;
import pagestream.model.checkpoint.Weights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lower-precision paths against the float32 reference: the bf16 checkpoint (converted to float32 while loading,
 * computed in float32) and the float16 compute path used on CUDA, run here on the CPU with the tiny model.
 */
class ColPaliPrecisionTest {

    static final Path FP32 = Path.of("src/test/resources/golden/tiny-a");
    static final Path BF16 = Path.of("src/test/resources/golden/tiny-a-bf16");

    static NDManager base;
    static GoldenTensors reference;

    @BeforeAll
    static void open() {
        base = NDManager.newBaseManager();
        reference = new GoldenTensors(FP32);
    }

    @AfterAll
    static void close() {
        reference.close();
        base.close();
    }

    /** The reference's own bf16-vs-fp32 deviation (golden.json bf16_vs_float32) bounds ours. */
    @Test
    void bf16CheckpointStaysWithinReferenceBf16Deviation() throws IOException {
        JsonNode bound = new ObjectMapper().readTree(BF16.resolve("golden.json").toFile()).get("bf16_vs_float32");
        Map<String, float[]> image;
        Map<String, float[]> query;
        try (Weights weights = Checkpoints.open(BF16);
                ColPaliForRetrieval model = ColPaliForRetrieval.load(ColPaliConfig.load(BF16), weights, base,
                        DataType.FLOAT32)) {
            image = GoldenRun.run(model, reference, base, "image_");
            query = GoldenRun.run(model, reference, base, "query_");
        }
        assertWithin("image_embeddings", image.get("embeddings"), limit(bound, "image_embeddings"));
        assertWithin("query_embeddings", query.get("embeddings"), limit(bound, "query_embeddings"));
        float[] scores = ColPaliParityTest.scores(query.get("embeddings"), image.get("embeddings"), 16);
        assertThat(GoldenRun.maxAbsDiff(scores, reference.floats("scores"))).as("scores vs fp32 reference")
                .isLessThanOrEqualTo(limit(bound, "scores"));
    }

    /** float16 weights and matmuls with float32 norms, softmax and residual stream (the CUDA recipe). */
    @Test
    void float16ComputeStaysCloseToFloat32Reference() {
        Map<String, float[]> image;
        Map<String, float[]> query;
        try (Weights weights = Checkpoints.open(FP32);
                ColPaliForRetrieval model = ColPaliForRetrieval.load(ColPaliConfig.load(FP32), weights, base,
                        DataType.FLOAT16)) {
            image = GoldenRun.run(model, reference, base, "image_");
            query = GoldenRun.run(model, reference, base, "query_");
        }
        // fp16 has 3 more mantissa bits than bf16: expect well under the bf16 deviation (~1e-2).
        assertWithin("image_embeddings", image.get("embeddings"), 5e-3f);
        assertWithin("query_embeddings", query.get("embeddings"), 5e-3f);
    }

    private static float limit(JsonNode bound, String name) {
        JsonNode n = bound.get(name);
        assertThat(n).as("bf16_vs_float32.%s in golden.json", name).isNotNull();
        return n.get("max_abs_diff_vs_float32").floatValue();
    }

    private static void assertWithin(String name, float[] actual, float limit) {
        float diff = GoldenRun.maxAbsDiff(actual, reference.floats(name));
        System.out.printf("%s: max |diff| vs fp32 reference %.3g (limit %.3g)%n", name, diff, limit);
        assertThat(diff).as("%s max |diff| vs fp32 reference", name).isLessThanOrEqualTo(limit);
    }
}
