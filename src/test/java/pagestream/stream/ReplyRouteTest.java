package pagestream.stream;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ReplyRouteTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] int32(int i) {
        return ByteBuffer.allocate(4).putInt(i).array();
    }

    @Test
    void smallRyeHeaders() {
        RecordHeaders headers = new RecordHeaders();
        headers.add(ReplyRoute.SMALLRYE_CORRELATION_ID, utf8("c-1"));
        headers.add(ReplyRoute.SMALLRYE_REPLY_TOPIC, utf8("my-replies"));
        headers.add(ReplyRoute.SMALLRYE_REPLY_PARTITION, int32(2));
        ReplyRoute route = ReplyRoute.of(headers, "pagestream.replies").route().orElseThrow();
        assertThat(route.topic()).isEqualTo("my-replies");
        assertThat(route.partition()).hasValue(2);
        assertThat(route.correlation()).hasValueSatisfying(h -> {
            assertThat(h.key()).isEqualTo("REPLY_CORRELATION_ID");
            assertThat(h.value()).isEqualTo(utf8("c-1"));
        });
        assertThat(route.explicit()).isTrue();
    }

    @Test
    void springHeadersAndAnyPartition() {
        RecordHeaders headers = new RecordHeaders();
        headers.add(ReplyRoute.SPRING_CORRELATION_ID, new byte[] {1, 2, 3});
        headers.add(ReplyRoute.SPRING_REPLY_TOPIC, utf8("spring.replies"));
        headers.add(ReplyRoute.SPRING_REPLY_PARTITION, int32(-1));
        ReplyRoute route = ReplyRoute.of(headers, "pagestream.replies").route().orElseThrow();
        assertThat(route.topic()).isEqualTo("spring.replies");
        assertThat(route.partition()).isEmpty();
        assertThat(route.correlation().orElseThrow().key()).isEqualTo("kafka_correlationId");
    }

    @Test
    void noHeadersMeansDefaultTopicAndNoExplicitPath() {
        ReplyRoute route = ReplyRoute.of(new RecordHeaders(), "pagestream.replies").route().orElseThrow();
        assertThat(route.topic()).isEqualTo("pagestream.replies");
        assertThat(route.partition()).isEmpty();
        assertThat(route.correlation()).isEmpty();
        assertThat(route.explicit()).isFalse();
    }

    @Test
    void malformedReplyHeadersAreRefused() {
        RecordHeaders badPartition = new RecordHeaders();
        badPartition.add(ReplyRoute.SPRING_REPLY_PARTITION, utf8("2"));
        assertThat(ReplyRoute.of(badPartition, "r").rejection()).hasValueSatisfying(r -> {
            assertThat(r.reason()).isEqualTo("bad_reply_header");
            assertThat(r.message()).contains("kafka_replyPartition", "4-byte");
        });
        RecordHeaders badTopic = new RecordHeaders();
        badTopic.add(ReplyRoute.SMALLRYE_REPLY_TOPIC, utf8("no spaces/allowed"));
        assertThat(ReplyRoute.of(badTopic, "r").rejection().orElseThrow().message()).contains("REPLY_TOPIC");
    }
}
