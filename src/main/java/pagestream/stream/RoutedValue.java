package pagestream.stream;

import org.apache.kafka.common.serialization.Serializer;

import java.util.OptionalInt;

/**
 * A reply (or query dead letter) on its way to a sink, with the destination chosen by the query's headers. The
 * reply sink's {@code TopicNameExtractor} and {@code StreamPartitioner} read {@code topic} and {@code partition};
 * only {@code bytes} is written to Kafka, so routing never leaks into the reply's headers.
 */
public record RoutedValue(byte[] bytes, String topic, OptionalInt partition) {

    public static Serializer<RoutedValue> serializer() {
        return (topic, value) -> value == null ? null : value.bytes();
    }
}
