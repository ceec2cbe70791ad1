package pagestream.stream;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where the reply to a query goes, read from the request-reply headers of the two clients people use:
 * SmallRye Kafka's {@code KafkaRequestReply} ({@code REPLY_CORRELATION_ID}, {@code REPLY_TOPIC},
 * {@code REPLY_PARTITION}) and Spring Kafka's {@code ReplyingKafkaTemplate} ({@code kafka_correlationId},
 * {@code kafka_replyTopic}, {@code kafka_replyPartition}). Both encode the partition as a 4-byte big-endian int.
 * The correlation header is echoed on the reply under the name it came with, byte for byte.
 */
public record ReplyRoute(String topic, OptionalInt partition, Optional<Header> correlation, boolean explicit) {

    public static final String SMALLRYE_CORRELATION_ID = "REPLY_CORRELATION_ID";
    public static final String SMALLRYE_REPLY_TOPIC = "REPLY_TOPIC";
    public static final String SMALLRYE_REPLY_PARTITION = "REPLY_PARTITION";
    public static final String SPRING_CORRELATION_ID = "kafka_correlationId";
    public static final String SPRING_REPLY_TOPIC = "kafka_replyTopic";
    public static final String SPRING_REPLY_PARTITION = "kafka_replyPartition";

    /** The route of a query record, or why its reply headers cannot be honoured. */
    public record Resolved(Optional<ReplyRoute> route, Optional<Rejection> rejection) {
    }

    /**
     * @param defaultTopic where replies go when the query names no reply topic ({@code pagestream.topics.replies})
     */
    public static Resolved of(Headers headers, String defaultTopic) {
        Optional<Header> correlation = last(headers, SMALLRYE_CORRELATION_ID)
                .or(() -> last(headers, SPRING_CORRELATION_ID));
        Optional<Header> topicHeader = last(headers, SMALLRYE_REPLY_TOPIC).or(() -> last(headers, SPRING_REPLY_TOPIC));
        Optional<Header> partitionHeader = last(headers, SMALLRYE_REPLY_PARTITION)
                .or(() -> last(headers, SPRING_REPLY_PARTITION));

        String topic = defaultTopic;
        if (topicHeader.isPresent()) {
            byte[] value = topicHeader.get().value();
            topic = value == null ? "" : new String(value, StandardCharsets.UTF_8);
            if (!isLegalTopicName(topic)) {
                return refused("header " + topicHeader.get().key() + " holds \"" + topic
                        + "\", not a legal Kafka topic name");
            }
        }
        OptionalInt partition = OptionalInt.empty();
        if (partitionHeader.isPresent()) {
            byte[] value = partitionHeader.get().value();
            if (value == null || value.length != Integer.BYTES) {
                return refused("header " + partitionHeader.get().key() + " must be a 4-byte big-endian int, got "
                        + (value == null ? "null" : value.length + " bytes"));
            }
            int p = ByteBuffer.wrap(value).getInt();
            if (p >= 0) { // SmallRye writes -1 for "any partition"
                partition = OptionalInt.of(p);
            }
        }
        boolean explicit = correlation.isPresent() || topicHeader.isPresent();
        return new Resolved(Optional.of(new ReplyRoute(topic, partition, correlation, explicit)), Optional.empty());
    }

    private static Resolved refused(String message) {
        return new Resolved(Optional.empty(), Optional.of(new Rejection("bad_reply_header", message)));
    }

    private static Optional<Header> last(Headers headers, String key) {
        return Optional.ofNullable(headers.lastHeader(key));
    }

    private static boolean isLegalTopicName(String topic) {
        return !topic.isEmpty() && topic.length() <= 249 && !topic.equals(".") && !topic.equals("..")
                && topic.chars().allMatch(c -> Character.isLetterOrDigit(c) && c < 128 || c == '.' || c == '_' || c == '-');
    }
}
