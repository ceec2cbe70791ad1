package pagestream.api;

import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import pagestream.stream.DeadLetters;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Counts dead-lettered records by topic and reason as Kafka Streams' producers send them
 * ({@code kafka-streams.producer.interceptor.classes}): every record carrying a {@code dead-letter-reason} header.
 * Kafka creates interceptors by class name, outside CDI, so the meters come from {@link Metrics#installed()}.
 * Under exactly-once a record of an aborted transaction was still sent, and is counted.
 */
public final class DeadLetterCounter implements ProducerInterceptor<Object, Object> {

    @Override
    public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
        Header reason = record.headers().lastHeader(DeadLetters.REASON);
        Metrics metrics = Metrics.installed();
        if (reason != null && metrics != null) {
            metrics.deadLettered(record.topic(), new String(reason.value(), StandardCharsets.UTF_8));
        }
        return record;
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
    }

    @Override
    public void close() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
}
