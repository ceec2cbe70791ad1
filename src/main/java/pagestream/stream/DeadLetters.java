package pagestream.stream;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import pagestream.model.processor.RgbImage;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Builds dead-letter records: the original key, value, timestamp and headers, plus headers saying why and where
 * from, so an operator can fix the cause and re-publish the record as it was. A record that already went through
 * a DLQ gets its old {@code dead-letter-*} headers replaced, not repeated. A query's {@code authorization} header is
 * dropped (a re-published query needs its caller's credential again).
 */
public final class DeadLetters {

    public static final String REASON = "dead-letter-reason";
    public static final String CAUSE = "dead-letter-cause";
    public static final String TOPIC = "dead-letter-topic";
    public static final String PARTITION = "dead-letter-partition";
    public static final String OFFSET = "dead-letter-offset";
    /** On a dead-lettered buffered page: the SHA-256 of its original event's value (an image or a whole PDF). */
    public static final String CONTENT_SHA256 = "dead-letter-content-sha256";

    private DeadLetters() {
    }

    /** {@code origin} is the processor context's record metadata (absent for punctuator-made records). */
    public static Record<byte[], byte[]> of(Record<byte[], byte[]> original, Rejection rejection,
            Optional<RecordMetadata> origin) {
        Headers headers = new RecordHeaders();
        for (Header header : original.headers()) {
            // A query's credential (API key, OIDC token) is not kept: a DLQ is read by operators, not callers.
            if (!header.key().startsWith("dead-letter-")
                    && !header.key().equalsIgnoreCase(QueryAuthorizer.AUTHORIZATION_HEADER)) {
                headers.add(header);
            }
        }
        headers.add(REASON, utf8(rejection.reason()));
        headers.add(CAUSE, utf8(rejection.message()));
        origin.ifPresent(meta -> {
            headers.add(TOPIC, utf8(meta.topic()));
            headers.add(PARTITION, utf8(Integer.toString(meta.partition())));
            headers.add(OFFSET, utf8(Long.toString(meta.offset())));
        });
        return new Record<>(original.key(), original.value(), original.timestamp(), headers);
    }

    /**
     * A page that failed on its own after it was buffered (the store refused it, or the model failed on it alone).
     * The original event value is not kept in the buffer (it may be a whole PDF), so the value is the page as the
     * model saw it: a PNG of the model-sized image. The headers make it a valid page event again (key = doc id,
     * {@code content-type: image/png}, {@code page}, {@code tenant}, {@code metadata}), so it can be re-published
     * to the pages topic once the cause is fixed; the {@code dead-letter-*} headers point at the original event.
     */
    public static Record<byte[], byte[]> ofBufferedPage(BufferedPage buffered, Rejection rejection, long now) {
        DecodedPage page = buffered.page();
        Headers headers = new RecordHeaders();
        headers.add(PageEventDecoder.CONTENT_TYPE_HEADER, utf8("image/png"));
        headers.add(PageEventDecoder.PAGE_HEADER, utf8(Integer.toString(page.page())));
        if (page.tenant() != null) {
            headers.add(PageEventDecoder.TENANT_HEADER, utf8(page.tenant()));
        }
        if (page.metadataJson() != null) {
            headers.add(PageEventDecoder.METADATA_HEADER, utf8(page.metadataJson()));
        }
        headers.add(REASON, utf8(rejection.reason()));
        headers.add(CAUSE, utf8(rejection.message()));
        BufferedPage.Origin origin = buffered.origin();
        if (origin != null) {
            headers.add(TOPIC, utf8(origin.topic()));
            headers.add(PARTITION, utf8(Integer.toString(origin.partition())));
            headers.add(OFFSET, utf8(Long.toString(origin.offset())));
        }
        headers.add(CONTENT_SHA256, utf8(page.contentSha256()));
        return new Record<>(utf8(page.docId()), png(page.image()), origin == null ? now : origin.timestamp(), headers);
    }

    static byte[] png(RgbImage image) {
        BufferedImage out = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        byte[] rgb = image.rgb();
        for (int y = 0, i = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++, i += 3) {
                out.setRGB(x, y, (rgb[i] & 0xFF) << 16 | (rgb[i + 1] & 0xFF) << 8 | (rgb[i + 2] & 0xFF));
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ImageIO.write(out, "png", bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a " + image.width() + "x" + image.height() + " page as PNG", e);
        }
        return bytes.toByteArray();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
