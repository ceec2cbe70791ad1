package pagestream.api;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import pagestream.stream.BufferedPage;
import pagestream.stream.PageStreamTopology;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * What the fault tests look at from outside a running {@link InProcessPipeline}: pages published, input offsets the
 * application has committed, pages waiting in its buffer (interactive query on the page-buffer store), DLQ records.
 */
public final class PipelineProbe implements AutoCloseable {

    private final InProcessPipeline pipeline;
    private final String applicationId;
    private final Admin admin;

    public PipelineProbe(InProcessPipeline pipeline, String applicationId) {
        this.pipeline = pipeline;
        this.applicationId = applicationId;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrapServers()));
    }

    /**
     * Publishes single-image page events: {@code docIds[i]} page 1 with {@code images[i % images.length]} and
     * {@code headers}.
     */
    public void publish(String topic, List<String> docIds, Map<String, String> headers, byte[]... images) {
        try (var producer = new KafkaProducer<String, byte[]>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrapServers(),
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < docIds.size(); i++) {
                var record = new ProducerRecord<>(topic, docIds.get(i), images[i % images.length]);
                record.headers().add("page", "1".getBytes(StandardCharsets.UTF_8));
                headers.forEach((name, value) -> record.headers().add(name, value.getBytes(StandardCharsets.UTF_8)));
                producer.send(record);
            }
        }
    }

    /** Sum over partitions of the log end offsets of {@code topic}. */
    public long endOffsets(String topic) throws Exception {
        var partitions = admin.describeTopics(Set.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                .get(topic).partitions();
        Map<TopicPartition, OffsetSpec> latest = partitions.stream().collect(Collectors.toMap(
                p -> new TopicPartition(topic, p.partition()), p -> OffsetSpec.latest()));
        return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
                .mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
    }

    /**
     * Sum over partitions of the offsets of {@code topic} the application reading it has committed (the query
     * application's consumer group for the queries topic, the ingestion one's otherwise).
     */
    public long committed(String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(pipeline.groupOf(topic))
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        return committed.entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
                .mapToLong(e -> e.getValue().offset()).sum();
    }

    /** Pages in the page buffers of all local tasks (uncommitted writes included: an upper bound). */
    public long bufferedPages() {
        ReadOnlyKeyValueStore<Long, BufferedPage> buffer = pipeline.streams().store(StoreQueryParameters
                .fromNameAndType(PageStreamTopology.PAGE_BUFFER_STORE, QueryableStoreTypes.keyValueStore()));
        long n = 0;
        try (var all = buffer.all()) {
            while (all.hasNext()) {
                all.next();
                n++;
            }
        }
        return n;
    }

    /** Both Kafka Streams applications are RUNNING. */
    public boolean running() {
        return pipeline.streams().state() == KafkaStreams.State.RUNNING
                && pipeline.queryStreams().state() == KafkaStreams.State.RUNNING;
    }

    /** Committed records of {@code topic} from the beginning, polling until {@code expected} arrived or 30 s. */
    public List<ConsumerRecord<byte[], byte[]>> read(String topic, int expected) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (var consumer = new KafkaConsumer<byte[], byte[]>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, applicationId + "-probe",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /** Polls {@code condition} every 50 ms until it holds; fails naming {@code what} after {@code timeout}. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
