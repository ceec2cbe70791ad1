package pagestream.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
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
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.PageStreamConfig;
import pagestream.api.QueryApplication;
import pagestream.embed.EmbeddingExecutor;
import pagestream.kafka.EmbeddedKafkaBroker;
import pagestream.kafka.PageStreamTopics;
import pagestream.model.ColPaliModel;
import pagestream.model.MultiVector;
import pagestream.model.processor.BicubicResizer;
import pagestream.model.processor.ImageDecoder;
import pagestream.store.SearchFilter;
import pagestream.store.StoreFixtures;
import pagestream.store.embedded.EmbeddedMultiVectorStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static pagestream.stream.StreamTestSupport.await;

/**
 * The topologies under plain {@link KafkaStreams} on the real in-process broker: ingestion (exactly-once v2) gets
 * pages acknowledged while still in the buffer, stops, and a new instance with an empty state directory restores the
 * buffer from its changelog and flushes it; then the query application (at-least-once) answers a Spring-style
 * request-reply query on the partition it asked for with the model's MaxSim scores.
 */
class StreamEndToEndTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String APP_ID = "pagestream-e2e";
    private static final String CLIENT_REPLIES = "client.replies";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final ColPaliModel model = TinyModel.get();
    private EmbeddedKafkaBroker broker;
    private EmbeddingExecutor executor;
    private EmbeddedMultiVectorStore store;
    private KafkaStreams streams;
    private KafkaStreams queryStreams;
    private Admin admin;

    @BeforeEach
    void setUp() throws Exception {
        broker = EmbeddedKafkaBroker.start(tmp.resolve("kafka"), 0, 4 << 20);
        executor = new EmbeddingExecutor(model, 2, 16);
        store = EmbeddedMultiVectorStore.open(tmp.resolve("store"));
        store.ensureCollection(model.embeddingDim());
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
        List<NewTopic> topics = new ArrayList<>(PageStreamTopics.required(config("PT1H").topics(), 4 << 20));
        topics.add(new NewTopic(CLIENT_REPLIES, 3, (short) 1));
        PageStreamTopics.createMissing(admin, topics);
    }

    @AfterEach
    void tearDown() {
        if (queryStreams != null) {
            queryStreams.close(Duration.ofSeconds(30));
        }
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
        }
        admin.close();
        executor.close();
        store.close();
        broker.close();
    }

    private static PageStreamConfig config(String maxWait) {
        return StreamTestSupport.config(Map.of(
                "pagestream.batch.max-size", "100",
                "pagestream.batch.max-wait", maxWait,
                "pagestream.limits.max-message-bytes", Integer.toString(4 << 20)));
    }

    private Properties ingestionProperties(PageStreamConfig config, Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP_ID);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // The stopped instance does not leave the group: its partitions move after the session timeout.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);
        props.putAll(PageStreamTopology.ingestionStreamsProperties(config));
        return props;
    }

    private void startStreams(PageStreamConfig config, Path stateDir) {
        streams = new KafkaStreams(PageStreamTopology.ingestion(config, executor, store),
                ingestionProperties(config, stateDir));
        streams.start();
        await("Kafka Streams running", TIMEOUT, () -> streams.state() == KafkaStreams.State.RUNNING);
    }

    /** The query application, derived from the ingestion settings as the service derives it. */
    private void startQueries(PageStreamConfig config, Path stateDir) {
        queryStreams = QueryApplication.create(ingestionProperties(config, stateDir), config, executor, store,
                latency -> { }, QueryAuthorizer.NONE);
        queryStreams.start();
        await("query Kafka Streams running", TIMEOUT, () -> queryStreams.state() == KafkaStreams.State.RUNNING);
    }

    private KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 << 20),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    private KafkaConsumer<byte[], byte[]> consumer(String topic) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + topic,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    private static List<ConsumerRecord<byte[], byte[]>> poll(KafkaConsumer<byte[], byte[]> consumer, int count) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (records.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        assertThat(records).as("records on " + consumer.subscription()).hasSize(count);
        return records;
    }

    /** Committed offsets of the application's consumer group on the pages topic, summed over partitions. */
    private long committedPageOffsets() {
        try {
            Thread.sleep(100);
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(APP_ID)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals("pagestream.pages"))
                    .mapToLong(e -> e.getValue().offset()).sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            return -1; // the group does not exist yet
        }
    }

    @Test
    void acknowledgedPagesSurviveARestartAndRepliesFollowSpringHeaders() throws Exception {
        List<byte[]> images = List.of(TestPages.png(21), TestPages.jpeg(22), TestPages.png(23));
        startStreams(config("PT1H"), tmp.resolve("state-1")); // max-wait 1 h: pages stay in the buffer
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (int i = 0; i < images.size(); i++) {
                producer.send(new ProducerRecord<>("pagestream.pages", ("doc-" + i).getBytes(StandardCharsets.UTF_8),
                        images.get(i))).get();
            }
            producer.send(new ProducerRecord<>("pagestream.pages", "broken".getBytes(StandardCharsets.UTF_8),
                    java.util.Arrays.copyOf(TestPages.png(24), 60))).get(); // truncated
        }
        await("all page events committed", TIMEOUT, () -> committedPageOffsets() == 4);
        try (KafkaConsumer<byte[], byte[]> dlq = consumer("pagestream.pages.dlq")) {
            ConsumerRecord<byte[], byte[]> dead = poll(dlq, 1).get(0);
            assertThat(new String(dead.headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8))
                    .isEqualTo("corrupt_image");
        }
        // Acknowledged (offsets committed), not yet embedded: the pages exist only in the buffer's changelog.
        assertThat(store.count(SearchFilter.any())).isZero();
        streams.close(Duration.ofSeconds(30));

        // A new instance on an empty state directory restores the buffer from the changelog and flushes it.
        startStreams(config("PT0.2S"), tmp.resolve("state-2"));
        await("3 pages in the store", TIMEOUT, () -> store.count(SearchFilter.any()) == 3);

        startQueries(config("PT0.2S"), tmp.resolve("state-2"));
        String text = "a table of figures";
        try (KafkaProducer<byte[], byte[]> producer = producer();
             KafkaConsumer<byte[], byte[]> replies = consumer(CLIENT_REPLIES)) {
            ProducerRecord<byte[], byte[]> query = new ProducerRecord<>("pagestream.queries",
                    "q-1".getBytes(StandardCharsets.UTF_8),
                    ("{\"query\": \"" + text + "\", \"top_k\": 3}").getBytes(StandardCharsets.UTF_8));
            query.headers().add(ReplyRoute.SPRING_CORRELATION_ID, new byte[] {4, 2});
            query.headers().add(ReplyRoute.SPRING_REPLY_TOPIC, CLIENT_REPLIES.getBytes(StandardCharsets.UTF_8));
            query.headers().add(ReplyRoute.SPRING_REPLY_PARTITION, ByteBuffer.allocate(4).putInt(2).array());
            producer.send(query).get();

            ConsumerRecord<byte[], byte[]> reply = poll(replies, 1).get(0);
            assertThat(reply.partition()).isEqualTo(2);
            assertThat(reply.key()).isEqualTo("q-1".getBytes(StandardCharsets.UTF_8));
            assertThat(reply.headers().lastHeader(ReplyRoute.SPRING_CORRELATION_ID).value()).containsExactly(4, 2);

            JsonNode results = JSON.readTree(reply.value()).get("results");
            assertThat(results).hasSize(3);
            MultiVector q = model.embedQueries(List.of(text)).get(0);
            double previous = Double.POSITIVE_INFINITY;
            for (JsonNode hit : results) {
                int doc = Integer.parseInt(hit.get("doc_id").asText().substring("doc-".length()));
                MultiVector page = model.embedImages(List.of(BicubicResizer.resize(
                        new ImageDecoder(10_000_000).decode(images.get(doc)), model.imageSize(), model.imageSize())))
                        .get(0);
                double expected = StoreFixtures.maxSim(q, page);
                assertThat(hit.get("score").asDouble()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-4));
                assertThat(expected).isLessThanOrEqualTo(previous + 1e-6);
                previous = expected;
            }
        }
    }
}
