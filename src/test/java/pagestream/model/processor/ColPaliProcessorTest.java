package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Prompts and pixel values against the reference processor's outputs in the golden fixtures. */
class ColPaliProcessorTest {

    private static ColPaliProcessor tiny;
    private static GoldenTensors golden;
    private static JsonNode goldenJson;

    @BeforeAll
    static void load() throws Exception {
        tiny = ColPaliProcessor.create(resourcePath("/golden/tiny-a/tokenizer.json"), 56, 16);
        golden = GoldenTensors.load("/golden/tiny-a/golden.safetensors");
        goldenJson = new ObjectMapper().readTree(ColPaliProcessorTest.class.getResource("/golden/tiny-a/golden.json"));
    }

    @AfterAll
    static void close() {
        tiny.close();
    }

    @Test
    void specialTokenIdsComeFromTheCheckpointFiles() {
        assertThat(tiny.padId()).isEqualTo(goldenJson.at("/token_ids/pad").asLong());
        assertThat(tiny.imageTokenId()).isEqualTo(goldenJson.at("/token_ids/image").asLong());
    }

    @Test
    void pageInputsEqualTheReferenceImagePrompt() {
        TokenBatch pages = tiny.pageInputs(2);

        assertThat(new int[] {pages.batch(), pages.length()}).containsExactly(golden.shape("image_input_ids"));
        assertThat(pages.inputIds()).containsExactly(golden.int64("image_input_ids"));
        assertThat(pages.attentionMask()).containsExactly(golden.int64("image_attention_mask"));
        List<Long> afterImageTokens = new ArrayList<>();
        for (int i = 16; i < pages.length(); i++) {
            afterImageTokens.add(pages.inputIds()[i]);
        }
        List<Long> expected = new ArrayList<>();
        goldenJson.at("/image_prompt/ids_after_image_tokens").forEach(id -> expected.add(id.asLong()));
        assertThat(afterImageTokens).isEqualTo(expected);
    }

    @Test
    void queryInputsEqualTheReferenceRightPaddedBatch() {
        List<String> queries = new ArrayList<>();
        goldenJson.get("queries").forEach(q -> queries.add(q.get("text").asText()));

        TokenBatch batch = tiny.queryInputs(queries);

        assertThat(new int[] {batch.batch(), batch.length()}).containsExactly(golden.shape("query_input_ids"));
        assertThat(batch.inputIds()).containsExactly(golden.int64("query_input_ids"));
        assertThat(batch.attentionMask()).containsExactly(golden.int64("query_attention_mask"));
        for (int q = 0; q < queries.size(); q++) {
            long real = 0;
            for (int i = 0; i < batch.length(); i++) {
                real += batch.attentionMask()[q * batch.length() + i];
            }
            assertThat(real).isEqualTo(goldenJson.get("queries").get(q).get("length_without_padding").asLong());
        }
    }

    @Test
    void longQueriesAreNotTruncated() {
        String longQuery = "how does the DER decoder report an error in a certificate ".repeat(30);

        TokenBatch batch = tiny.queryInputs(List.of(longQuery, "short"));

        assertThat(batch.length()).isGreaterThan(512);
        int last = batch.length() - 1;
        assertThat(batch.inputIds()[last]).isEqualTo(goldenJson.at("/token_ids/newline").asLong());
        assertThat(batch.attentionMask()[batch.length() + last]).isZero();
        assertThat(batch.inputIds()[batch.length() + last]).isEqualTo(tiny.padId());
    }

    @Test
    void normalisationTableIsNumpysFloat32Result() throws Exception {
        ByteBuffer bytes = ByteBuffer.allocate(256 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v = 0; v < 256; v++) {
            bytes.putFloat(PixelNormalizer.normalize(v));
        }
        // sha256 of numpy's ((uint8 * 0.00392156862745098).astype(float32) - float32(0.5)) / float32(0.5)
        assertThat(HexFormat.of().formatHex(GoldenPreprocessTest.sha256(bytes.array())))
                .isEqualTo("d15e8ce72284446496a6de66e8a4795818530b44cd2c3dd415077364535c3c1a");
        assertThat(PixelNormalizer.normalize(128)).isEqualTo(0.003921627998352051f);
    }

    @Test
    void pixelValuesEqualTheReferencePipelineOnRealPages() throws Exception {
        ImageDecoder decoder = new ImageDecoder(100_000_000L);
        List<String> files = List.of("page1_libtasn1_p3.png", "page4_rgba_crop.png");
        List<RgbImage> pages = new ArrayList<>();
        for (String file : files) {
            pages.add(decoder.decode(GoldenPreprocessTest.resource(file)));
        }
        try (ColPaliProcessor processor = ColPaliProcessor.create(
                resourcePath("/golden/tiny-a/tokenizer.json"), 448, 1024)) {
            float[] pixels = processor.pixelValues(pages);

            assertThat(pixels).hasSize(2 * 3 * 448 * 448);
            int plane = 448 * 448;
            for (int n = 0; n < files.size(); n++) {
                byte[] expected = decoder.decode(GoldenPreprocessTest.resource("expected448_" + files.get(n))).rgb();
                for (int p = 0; p < plane; p++) {
                    for (int c = 0; c < 3; c++) {
                        float want = ((float) ((expected[p * 3 + c] & 0xFF) * 0.00392156862745098) - 0.5f) / 0.5f;
                        float got = pixels[(n * 3 + c) * plane + p];
                        if (got != want) {
                            throw new AssertionError(files.get(n) + " channel " + c + " pixel " + p + ": " + got
                                    + " != " + want);
                        }
                    }
                }
            }
            assertThat(processor.pageInputs(1).length()).isEqualTo(1024 + 8);
        }
    }

    @Test
    void badArgumentsAreRefusedClearly() {
        assertThatThrownBy(() -> ColPaliProcessor.create(Path.of("/nonexistent/tokenizer.json"), 448, 1024))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/nonexistent/tokenizer.json");
        assertThatThrownBy(() -> tiny.queryInputs(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tiny.pixelValues(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tiny.pageInputs(0)).isInstanceOf(IllegalArgumentException.class);
    }

    static Path resourcePath(String resource) throws URISyntaxException {
        return Path.of(ColPaliProcessorTest.class.getResource(resource).toURI());
    }
}
