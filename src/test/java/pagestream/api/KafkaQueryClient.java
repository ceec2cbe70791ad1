package pagestream.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A Kafka client of the service as users write one: page events on the pages topic, queries on the queries topic
 * with Spring-style request-reply headers and a reply topic of its own, read without a consumer group. The client
 * settings ({@code bootstrap.servers} and any security) are the caller's.
 */
final class KafkaQueryClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(90);

    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> replies;
    private final String replyTopic;
    private final String authorization;
    private final Map<String, Object> clientConfig;

    KafkaQueryClient(Map<String, Object> clientConfig, String replyTopic) throws Exception {
        this(clientConfig, replyTopic, null);
    }

    /** {@code authorization}: the header every {@link #ask(String)} sends (a service with {@code queries.auth}). */
    KafkaQueryClient(Map<String, Object> clientConfig, String replyTopic, String authorization) throws Exception {
        this.replyTopic = replyTopic;
        this.authorization = authorization;
        this.clientConfig = Map.copyOf(clientConfig);
        try (Admin admin = Admin.create(clientConfig)) {
            if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(replyTopic)) {
                admin.createTopics(List.of(new NewTopic(replyTopic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
        }
        Map<String, Object> producerConfig = new HashMap<>(clientConfig);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20);
        producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer());
        Map<String, Object> consumerConfig = new HashMap<>(clientConfig);
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        replies = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TopicPartition partition = new TopicPartition(replyTopic, 0);
        replies.assign(List.of(partition));
        replies.seekToEnd(List.of(partition));
        replies.position(partition);
    }

    void sendPage(String docId, byte[] image, String tenant) throws Exception {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>("pagestream.pages", docId, image);
        if (tenant != null) {
            record.headers().add("tenant", tenant.getBytes(StandardCharsets.UTF_8));
        }
        producer.send(record).get(30, TimeUnit.SECONDS);
    }

    /** Sends one query event and waits for the reply (results or error) with its correlation id. */
    JsonNode ask(String queryJson) throws Exception {
        return ask(queryJson, authorization);
    }

    /** As {@link #ask(String)}, with this {@code authorization} header (none when null). */
    JsonNode ask(String queryJson, String authorization) throws Exception {
        byte[] correlation = UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
        ProducerRecord<String, byte[]> record = new ProducerRecord<>("pagestream.queries", "q",
                queryJson.getBytes(StandardCharsets.UTF_8));
        if (authorization != null) {
            record.headers().add("authorization", authorization.getBytes(StandardCharsets.UTF_8));
        }
        record.headers().add("kafka_replyTopic", replyTopic.getBytes(StandardCharsets.UTF_8));
        record.headers().add("kafka_correlationId", correlation);
        producer.send(record).get(30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> reply : replies.poll(Duration.ofMillis(200))) {
                Header id = reply.headers().lastHeader("kafka_correlationId");
                if (id != null && Arrays.equals(id.value(), correlation)) {
                    return JSON.readTree(reply.value());
                }
            }
        }
        throw new AssertionError("no reply within " + WAIT + " to " + queryJson);
    }

    /**
     * Sends a query event without reply headers (so a refusal can only go to the queries DLQ) and returns the
     * headers of its dead letter.
     */
    Headers deadLetter(String queryJson, String authorization) throws Exception {
        String key = "dlq-" + UUID.randomUUID();
        Map<String, Object> consumerConfig = new HashMap<>(clientConfig);
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> dlq = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = dlq.partitionsFor("pagestream.queries.dlq").stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            dlq.assign(partitions);
            dlq.seekToEnd(partitions);
            partitions.forEach(dlq::position);
            ProducerRecord<String, byte[]> record = new ProducerRecord<>("pagestream.queries", key,
                    queryJson.getBytes(StandardCharsets.UTF_8));
            if (authorization != null) {
                record.headers().add("authorization", authorization.getBytes(StandardCharsets.UTF_8));
            }
            producer.send(record).get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> dead : dlq.poll(Duration.ofMillis(200))) {
                    if (Arrays.equals(dead.key(), key.getBytes(StandardCharsets.UTF_8))) {
                        return dead.headers();
                    }
                }
            }
        }
        throw new AssertionError("no dead letter within " + WAIT + " for " + queryJson);
    }

    @Override
    public void close() {
        producer.close();
        replies.close();
    }
}
