package pagestream.stream;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Builds dead-letter records: the original key, value, timestamp and headers, plus headers saying why and where
 * from, so an operator can fix the cause and re-publish the record as it was. A record that already went through
 * a DLQ gets its old {@code dead-letter-*} headers replaced, not repeated.
 */
public final class DeadLetters {

    public static final String REASON = "dead-letter-reason";
    public static final String CAUSE = "dead-letter-cause";
    public static final String TOPIC = "dead-letter-topic";
    public static final String PARTITION = "dead-letter-partition";
    public static final String OFFSET = "dead-letter-offset";

    private DeadLetters() {
    }

    /** {@code origin} is the processor context's record metadata (absent for punctuator-made records). */
    public static Record<byte[], byte[]> of(Record<byte[], byte[]> original, Rejection rejection,
            Optional<RecordMetadata> origin) {
        Headers headers = new RecordHeaders();
        for (Header header : original.headers()) {
            if (!header.key().startsWith("dead-letter-")) {
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

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
