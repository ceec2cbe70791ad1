package pagestream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pagestream.embed.ComputeDtype;
import pagestream.embed.Device;
import pagestream.model.processor.RgbImage;
import pagestream.model.processor.TokenBatch;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The facade end to end on tiny-a: real processor (tokenizer, resize) + real model, against the reference. */
class ColPaliModelTest {

    static final Path DIR = Path.of("src/test/resources/golden/tiny-a");

    static ColPaliModel model;
    static GoldenTensors golden;

    @BeforeAll
    static void load() {
        model = ColPaliModel.load(DIR, new ModelOptions(null, Device.CPU, ComputeDtype.AUTO, 2));
        golden = new GoldenTensors(DIR);
    }

    @AfterAll
    static void close() {
        golden.close();
        model.close();
    }

    @Test
    void describesItself() {
        assertThat(model.id()).isEqualTo("tiny-a");
        assertThat(model.embeddingDim()).isEqualTo(16);
        assertThat(model.imageSize()).isEqualTo(56);
    }

    /** The warm-up runs the padded-batch path of a query call and frees what it made. */
    @Test
    void warmUpEmbedsAPaddedQueryBatchAndLeavesNoArrayOpen() {
        TokenBatch warmUp = model.processor().queryInputs(ColPaliModel.WARM_UP_QUERIES);
        assertThat(warmUp.attentionMask()).contains(0L);
        int open = model.openNativeArrays();
        assertThat(model.warmUp()).isPositive();
        assertThat(model.openNativeArrays()).isEqualTo(open);
    }

    @Test
    void embedTensorsReproducesReferencePageEmbeddings() {
        TokenBatch tokens = new TokenBatch(2, 24, golden.longs("image_input_ids"), golden.longs("image_attention_mask"));
        EmbeddingBatch out = model.embedTensors(golden.floats("image_pixel_values"), tokens);
        assertThat(GoldenRun.maxAbsDiff(out.data(), golden.floats("image_embeddings"))).isLessThanOrEqualTo(1e-5f);
        assertThat(out.multiVectors()).allSatisfy(mv -> assertThat(mv.rows()).isEqualTo(24));
    }

    /** Query text -> tokenizer -> model gives the reference's right-padded embeddings, padding rows removed. */
    @Test
    void embedQueriesMatchesReferenceWithPaddingRemoved() throws IOException {
        JsonNode queries = new ObjectMapper().readTree(DIR.resolve("golden.json").toFile()).get("queries");
        List<String> texts = new ArrayList<>();
        queries.forEach(q -> texts.add(q.get("text").asText()));
        List<MultiVector> out = model.embedQueries(texts); // maxBatch 2: also exercises chunking
        float[] expected = golden.floats("query_embeddings"); // [3, 45, 16]
        assertThat(out).hasSize(3);
        for (int q = 0; q < 3; q++) {
            int rows = queries.get(q).get("length_without_padding").asInt();
            assertThat(out.get(q).rows()).as("query %d rows", q).isEqualTo(rows);
            float[] ref = Arrays.copyOfRange(expected, q * 45 * 16, (q * 45 + rows) * 16);
            assertThat(GoldenRun.maxAbsDiff(out.get(q).data(), ref)).as("query %d", q).isLessThanOrEqualTo(1e-5f);
        }
    }

    @Test
    void embedImagesGivesOneUnitNormVectorPerPromptPosition() {
        Random random = new Random(7);
        List<RgbImage> pages = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            byte[] rgb = new byte[80 * 60 * 3];
            random.nextBytes(rgb);
            pages.add(new RgbImage(80, 60, rgb));
        }
        List<MultiVector> out = model.embedImages(pages);
        assertThat(out).hasSize(3);
        for (MultiVector mv : out) {
            assertThat(mv.rows()).isEqualTo(24); // 16 patches + <bos> + 6 prompt tokens + \n
            assertThat(mv.dim()).isEqualTo(16);
            for (int r = 0; r < mv.rows(); r++) {
                double norm = 0;
                for (float v : mv.row(r)) {
                    norm += v * v;
                }
                assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
            }
        }
        assertThat(out.get(0).data()).isNotEqualTo(out.get(1).data());
    }

    @Test
    void mismatchedImageTokensAreRejectedWithTheCounts() {
        TokenBatch tokens = new TokenBatch(2, 24, golden.longs("image_input_ids"), golden.longs("image_attention_mask"));
        float[] onePage = Arrays.copyOf(golden.floats("image_pixel_values"), 3 * 56 * 56);
        assertThatThrownBy(() -> model.embedTensors(onePage, tokens))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 <image> tokens").hasMessageContaining("16 image features");
        assertThatThrownBy(() -> model.embedTensors(new float[5], tokens))
                .hasMessageContaining("not a whole number of [3, 56, 56] images");
    }
}
