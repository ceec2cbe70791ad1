package pagestream.stream;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class DeadLettersTest {

    private static String header(Record<byte[], byte[]> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }

    @Test
    void keepsTheOriginalAndAddsWhyAndWhereFrom() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("tenant", "acme".getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetters.REASON, "stale".getBytes(StandardCharsets.UTF_8));
        Record<byte[], byte[]> original = new Record<>("doc".getBytes(), new byte[] {9, 9}, 1234L, headers);
        MockProcessorContext<byte[], byte[]> context = new MockProcessorContext<>();
        context.setRecordMetadata("pagestream.pages", 2, 77L);

        Record<byte[], byte[]> dead = DeadLetters.of(original,
                new Rejection("corrupt_image", "cannot decode"), context.recordMetadata());

        assertThat(dead.key()).isEqualTo("doc".getBytes());
        assertThat(dead.value()).isEqualTo(new byte[] {9, 9});
        assertThat(dead.timestamp()).isEqualTo(1234L);
        assertThat(header(dead, "tenant")).isEqualTo("acme");
        assertThat(header(dead, DeadLetters.REASON)).isEqualTo("corrupt_image");
        assertThat(dead.headers().headers(DeadLetters.REASON)).hasSize(1);
        assertThat(header(dead, DeadLetters.CAUSE)).isEqualTo("cannot decode");
        assertThat(header(dead, DeadLetters.TOPIC)).isEqualTo("pagestream.pages");
        assertThat(header(dead, DeadLetters.PARTITION)).isEqualTo("2");
        assertThat(header(dead, DeadLetters.OFFSET)).isEqualTo("77");
    }
}
