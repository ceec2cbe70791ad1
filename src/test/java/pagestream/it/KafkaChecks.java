package pagestream.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** What the crash test reads from the broker: end offsets, the service's committed offsets, whole topics. */
final class KafkaChecks {

    private final String bootstrapServers;
    private final Map<String, String> groupOfTopic;

    /**
     * @param groupOfTopic the service's consumer group that commits each input topic (the Kafka Streams application
     *                     id of ingestion or of queries), read, never joined
     */
    KafkaChecks(String bootstrapServers, Map<String, String> groupOfTopic) {
        this.bootstrapServers = bootstrapServers;
        this.groupOfTopic = Map.copyOf(groupOfTopic);
    }

    private String groupOf(String topic) {
        String group = groupOfTopic.get(topic);
        if (group == null) {
            throw new IllegalArgumentException("no consumer group reads " + topic);
        }
        return group;
    }

    /** Sum of the end offsets of {@code topic}'s partitions (records written, transaction markers included). */
    long endOffset(String topic) throws Exception {
        try (Admin admin = admin()) {
            return endOffsets(admin, topic).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Records of {@code topic} the service has not committed yet; -1 while the broker cannot tell. */
    long lagOrMinusOne(String topic) {
        try {
            return lag(topic);
        } catch (Exception e) {
            return -1;
        }
    }

    /** Records of {@code topic} the service has committed (consumed for good); -1 while the broker cannot tell. */
    long committedOrMinusOne(String topic) {
        try (Admin admin = admin()) {
            return admin.listConsumerGroupOffsets(groupOf(topic)).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS)
                    .entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
                    .mapToLong(e -> e.getValue().offset()).sum();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Records of {@code topic} the service has not committed yet (partitions it never committed count whole). */
    long lag(String topic) throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupOf(topic))
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            long lag = 0;
            for (Map.Entry<TopicPartition, Long> end : endOffsets(admin, topic).entrySet()) {
                OffsetAndMetadata done = committed.get(end.getKey());
                lag += end.getValue() - (done == null ? 0 : done.offset());
            }
            return lag;
        }
    }

    /**
     * Every committed record of {@code topic} (read_committed, from the beginning), read until {@code complete}
     * holds for what was read, and then for {@code settle} more so that late duplicates would show too.
     */
    List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic, Predicate<List<ConsumerRecord<byte[], byte[]>>> complete,
            Duration timeout, Duration settle) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (Admin admin = admin(); var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = List.copyOf(endOffsets(admin, topic).keySet());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            long settledAt = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settledAt)) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                if (settledAt == Long.MAX_VALUE && complete.test(records)) {
                    settledAt = System.nanoTime() + settle.toNanos();
                }
            }
        }
        return records;
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
        var partitions = admin.describeTopics(Set.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                .get(topic).partitions();
        Map<TopicPartition, OffsetSpec> latest = partitions.stream().collect(Collectors.toMap(
                p -> new TopicPartition(topic, p.partition()), p -> OffsetSpec.latest()));
        return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).entrySet().stream().collect(
                Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }
}
