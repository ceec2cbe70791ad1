package pagestream.stream;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import pagestream.model.processor.BicubicResizer;
import pagestream.model.processor.ImageDecoder;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

class PageEventDecoderTest {

    private static final int IMAGE_SIZE = 56;
    private final PageEventDecoder decoder = new PageEventDecoder(200_000, 1_000_000, 3, IMAGE_SIZE);

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static RecordHeaders headers(String... keyValues) {
        RecordHeaders headers = new RecordHeaders();
        for (int i = 0; i < keyValues.length; i += 2) {
            headers.add(keyValues[i], utf8(keyValues[i + 1]));
        }
        return headers;
    }

    private PageEventDecoder.Result decode(String key, byte[] value, RecordHeaders headers) {
        return decoder.decode(key == null ? null : utf8(key), value, headers);
    }

    private Rejection refused(String key, byte[] value, RecordHeaders headers) {
        PageEventDecoder.Result result = decode(key, value, headers);
        assertThat(result.pages()).isEmpty();
        return result.rejection().orElseThrow();
    }

    @Test
    void pngWithHeadersBecomesOneModelSizedPage() {
        byte[] png = TestPages.png(1);
        PageEventDecoder.Result result = decode("report.pdf", png, headers(
                "content-type", "image/png", "page", "4", "tenant", "acme", "metadata", "{\"title\": \"Q3\"}"));
        assertThat(result.rejection()).isEmpty();
        assertThat(result.pages()).singleElement().satisfies(page -> {
            assertThat(page.docId()).isEqualTo("report.pdf");
            assertThat(page.page()).isEqualTo(4);
            assertThat(page.tenant()).isEqualTo("acme");
            assertThat(page.metadataJson()).isEqualTo("{\"title\":\"Q3\"}");
            assertThat(page.contentSha256()).isEqualTo(PageEventDecoder.sha256(png)).hasSize(64);
            assertThat(page.image().width()).isEqualTo(IMAGE_SIZE);
            assertThat(page.image().height()).isEqualTo(IMAGE_SIZE);
            // Exactly the processor's resize of the decoded image, and resizing it again changes nothing.
            var expected = BicubicResizer.resize(new ImageDecoder(1_000_000).decode(png), IMAGE_SIZE, IMAGE_SIZE);
            assertThat(page.image().rgb()).isEqualTo(expected.rgb());
            assertThat(BicubicResizer.resize(page.image(), IMAGE_SIZE, IMAGE_SIZE).rgb()).isEqualTo(expected.rgb());
        });
    }

    @Test
    void jpegWithoutHeadersIsSniffedAndDefaultsToPageOne() {
        PageEventDecoder.Result result = decode("d", TestPages.jpeg(2), new RecordHeaders());
        assertThat(result.pages()).singleElement().satisfies(page -> {
            assertThat(page.page()).isEqualTo(1);
            assertThat(page.tenant()).isNull();
            assertThat(page.metadataJson()).isNull();
        });
    }

    @Test
    void jsonEnvelopeCarriesTheImageAndItsFields() {
        byte[] png = TestPages.png(3);
        String json = "{\"doc_id\": \"d7\", \"page\": 2, \"tenant\": \"t\", \"metadata\": {\"a\": [1]},"
                + " \"image_base64\": \"" + Base64.getEncoder().encodeToString(png) + "\"}";
        PageEventDecoder.Result result = decode(null, utf8(json), headers("content-type", "application/json"));
        assertThat(result.rejection()).isEmpty();
        assertThat(result.pages()).singleElement().satisfies(page -> {
            assertThat(page.docId()).isEqualTo("d7");
            assertThat(page.page()).isEqualTo(2);
            assertThat(page.tenant()).isEqualTo("t");
            assertThat(page.metadataJson()).isEqualTo("{\"a\":[1]}");
            assertThat(page.contentSha256()).isEqualTo(PageEventDecoder.sha256(png));
        });
    }

    @Test
    void pdfPagesAreNumberedFromOneAndLimited() {
        byte[] pdf = TestPages.pdf(3);
        PageEventDecoder.Result result = decode("manual", pdf, headers("content-type", "application/pdf"));
        assertThat(result.rejection()).isEmpty();
        assertThat(result.pages()).extracting(DecodedPage::page).containsExactly(1, 2, 3);
        assertThat(result.pages()).allSatisfy(page -> {
            assertThat(page.contentSha256()).isEqualTo(PageEventDecoder.sha256(pdf));
            assertThat(page.image().width()).isEqualTo(IMAGE_SIZE);
        });
        assertThat(result.pages().get(0).image().rgb()).isNotEqualTo(result.pages().get(1).image().rgb());

        assertThat(refused("manual", pdf, headers("page", "2")).reason()).isEqualTo("bad_page_header");
        assertThat(refused("manual", TestPages.pdf(4), headers()))
                .satisfies(r -> assertThat(r.reason()).isEqualTo("too_many_pages"))
                .satisfies(r -> assertThat(r.message()).contains("4 pages"));
        assertThat(refused("manual", Arrays.copyOf(pdf, 40), headers()).reason()).isEqualTo("corrupt_pdf");
    }

    @Test
    void everyBadInputIsRefusedWithItsReason() {
        byte[] png = TestPages.png(4);
        byte[] corrupt = Arrays.copyOf(png, png.length / 2);
        String b64 = Base64.getEncoder().encodeToString(png);
        RecordHeaders json = headers("content-type", "application/json");

        assertThat(refused("d", corrupt, new RecordHeaders()).reason()).isEqualTo("corrupt_image");
        assertThat(refused("d", new byte[0], new RecordHeaders()).reason()).isEqualTo("empty_value");
        assertThat(refused("d", png, headers("content-type", "text/plain")))
                .satisfies(r -> assertThat(r.reason()).isEqualTo("unsupported_content_type"))
                .satisfies(r -> assertThat(r.message()).contains("text/plain"));
        assertThat(refused("d", utf8("hello, not an image"), new RecordHeaders()).reason())
                .isEqualTo("unsupported_content_type");
        assertThat(refused("d", png, headers("content-type", "image/jpeg")).reason())
                .isEqualTo("content_type_mismatch");
        assertThat(refused("d", new byte[200_001], new RecordHeaders()))
                .satisfies(r -> assertThat(r.reason()).isEqualTo("oversize"))
                .satisfies(r -> assertThat(r.message()).contains("200001", "max-message-bytes"));
        assertThat(refused("d", TestPages.pngDeclaring(50_000), new RecordHeaders()))
                .satisfies(r -> assertThat(r.reason()).isEqualTo("too_many_pixels"))
                .satisfies(r -> assertThat(r.message()).contains("50000x50000"));
        assertThat(refused("d", png, headers("page", "0")).reason()).isEqualTo("bad_page_header");
        assertThat(refused("d", png, headers("page", "two")))
                .satisfies(r -> assertThat(r.reason()).isEqualTo("bad_page_header"))
                .satisfies(r -> assertThat(r.message()).contains("\"two\""));
        assertThat(refused("d", png, headers("metadata", "[1, 2]")).reason()).isEqualTo("bad_metadata");
        assertThat(refused("d", png, headers("metadata", "{oops")).reason()).isEqualTo("bad_metadata");
        assertThat(refused("d", png, headers("tenant", " ")).reason()).isEqualTo("bad_tenant");
        assertThat(refused(null, png, new RecordHeaders()).reason()).isEqualTo("missing_key");
        assertThat(refused("", png, new RecordHeaders()).reason()).isEqualTo("bad_key");
        assertThat(decoder.decode(new byte[] {(byte) 0xC3, 0x28}, png, new RecordHeaders()).rejection().orElseThrow()
                .reason()).isEqualTo("bad_key");

        assertThat(refused("d", utf8("{\"image_base64\": "), json).reason()).isEqualTo("bad_json");
        assertThat(refused("d", utf8("{\"image_base64\": \"" + b64 + "\", \"pages\": 2}"), json))
                .satisfies(r -> assertThat(r.reason()).isEqualTo("unknown_field"))
                .satisfies(r -> assertThat(r.message()).contains("\"pages\""));
        assertThat(refused("d", utf8("{\"page\": 2}"), json).reason()).isEqualTo("missing_field");
        assertThat(refused("d", utf8("{\"image_base64\": \"***\"}"), json).reason()).isEqualTo("bad_json");
        assertThat(refused("d", utf8("{\"doc_id\": \"other\", \"image_base64\": \"" + b64 + "\"}"), json).reason())
                .isEqualTo("doc_id_mismatch");
        RecordHeaders jsonWithPage = headers("content-type", "application/json", "page", "3");
        assertThat(refused("d", utf8("{\"page\": 2, \"image_base64\": \"" + b64 + "\"}"), jsonWithPage).reason())
                .isEqualTo("conflicting_fields");
    }

    @Test
    void aGifWhoseImageDataStopsShortGoesToTheDeadLetterTopicAsTruncated() throws Exception {
        // Pillow raises "image file is truncated" for it; the JDK's GIF reader alone would pad it with black rows
        byte[] gif;
        try (var in = getClass().getResourceAsStream("/processor/truncation/short_image_data.gif")) {
            gif = in.readAllBytes();
        }

        assertThat(refused("d", gif, headers("content-type", "image/gif")))
                .satisfies(r -> assertThat(r.reason()).isEqualTo("corrupt_image"))
                .satisfies(r -> assertThat(r.message()).contains("GIF data is truncated", "of 17 rows"));
    }

    @Test
    void jsonEnvelopeMayCarryAnImageOverJacksonsDefaultStringLimit() {
        // fuzzing found it: Jackson refuses strings over 20M characters, so a 16 MB page (21M characters of base64,
        // well under the 50 MiB message limit) was dead-lettered as bad_json
        byte[] png = TestPages.withAncillaryChunk(TestPages.png(4), 16 << 20);
        String json = "{\"image_base64\": \"" + Base64.getEncoder().encodeToString(png) + "\"}";
        PageEventDecoder roomy = new PageEventDecoder(50 << 20, 1_000_000, 3, IMAGE_SIZE);

        PageEventDecoder.Result result = roomy.decode(utf8("big"), utf8(json), headers("content-type",
                "application/json"));

        assertThat(result.rejection()).isEmpty();
        assertThat(result.pages()).hasSize(1);
        assertThat(refused("big", utf8("{\"image_base64\": \"\", \"image_base64\": \"\"}"),
                headers("content-type", "application/json")).reason()).as("duplicates still refused")
                .isEqualTo("bad_json");
    }

    @Test
    void pdfRenderLimitsComeFromTheConfiguration() {
        var limits = StreamTestSupport.config(java.util.Map.of("pagestream.limits.max-pdf-render-time", "PT0.000001S"))
                .limits();
        PageEventDecoder configured = PageEventDecoder.of(limits, IMAGE_SIZE);

        Rejection rejection = configured.decode(utf8("d"), TestPages.pdf(1), new RecordHeaders()).rejection()
                .orElseThrow();

        assertThat(rejection.reason()).isEqualTo("render_timeout");
        assertThat(rejection.message()).contains("PT0.000001S");
        assertThat(StreamTestSupport.config(java.util.Map.of()).limits().maxPdfRenderPixels()).isEqualTo(16_777_216L);
    }

    @Test
    void headersThatAreNotUtf8AreRefusedNotReplaced() {
        // fuzzing found it: invalid UTF-8 became U+FFFD, so two different broken tenant headers were one tenant
        byte[] png = TestPages.png(5);
        byte[] invalid = {(byte) 0xC3, 0x28};
        java.util.Map<String, String> reasons = java.util.Map.of("tenant", "bad_tenant", "page", "bad_page_header",
                "metadata", "bad_metadata", "content-type", "unsupported_content_type");
        reasons.forEach((header, reason) -> {
            RecordHeaders headers = new RecordHeaders();
            headers.add(header, invalid);
            Rejection rejection = refused("d", png, headers);
            assertThat(rejection.reason()).as(header).isEqualTo(reason);
            assertThat(rejection.message()).contains("\"" + header + "\" is not valid UTF-8");
        });
    }
}
