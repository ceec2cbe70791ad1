package pagestream.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.PageStreamConfig;
import pagestream.embed.EmbeddingExecutor;
import pagestream.kafka.EmbeddedKafkaBroker;
import pagestream.kafka.PageStreamTopics;
import pagestream.model.MultiVector;
import pagestream.store.MultiVectorStore;
import pagestream.store.PagePoint;
import pagestream.store.SearchFilter;
import pagestream.store.SearchHit;
import pagestream.store.StoreFixtures;
import pagestream.store.embedded.EmbeddedMultiVectorStore;
import pagestream.stream.QueryAuthorizer;
import pagestream.stream.ReplyRoute;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static pagestream.api.PipelineProbe.await;

/**
 * At-least-once queries across a crash: the query application (built by {@link QueryApplication} as the service
 * builds it, on the in-process broker, the tiny model and an embedded store of fixed pages) answers queries; a stream
 * thread then dies in the middle of one (the store throws an {@link Error} from a search, as a crash would stop it),
 * is replaced, and reads its partition again from the last committed offset. No query is lost: every one is
 * answered, the crashed one included, with its correlation id; the queries answered before the crash but not yet
 * committed are answered a second time, with the same answer.
 */
class QueryCrashTest {

    private static final String APP_ID = "pagestream-query-crash-test";
    private static final String REPLY_TOPIC = "query-crash.replies";
    private static final int BEFORE_CRASH = 9;
    private static final int AFTER_CRASH = 9;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TestModel model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void loadModel() {
        model = TestModel.load("src/test/resources/golden/tiny-a");
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @Test
    void aQueryThreadCrashLosesNoQueryAndRepeatsAnswersIdentically() throws Exception {
        // A long commit interval: nothing answered before the crash is committed, so its partition is re-read.
        PageStreamConfig config = StandaloneConfig.of(Map.of("pagestream.queries.commit-interval", "PT60S"));
        int dim = model.model().embeddingDim();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(tmp.resolve("kafka"), 0, 4 << 20);
             EmbeddedMultiVectorStore stored = EmbeddedMultiVectorStore.open(tmp.resolve("store"));
             EmbeddingExecutor executor = new EmbeddingExecutor(model.model(), 2, 16)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    broker.bootstrapServers()))) {
                List<NewTopic> topics = new ArrayList<>(PageStreamTopics.required(config.topics(), 4 << 20));
                topics.add(new NewTopic(REPLY_TOPIC, 1, (short) 1));
                PageStreamTopics.createMissing(admin, topics);
            }
            stored.ensureCollection(dim);
            Random random = new Random(7);
            List<PagePoint> pages = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                pages.add(StoreFixtures.page(random, null, "doc-" + i, 1, 16, dim));
            }
            stored.upsert(pages);
            CrashingStore store = new CrashingStore(stored);

            Properties ingestion = new Properties();
            ingestion.put(StreamsConfig.APPLICATION_ID_CONFIG, APP_ID);
            ingestion.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            ingestion.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("kafka-streams").toString());
            // A dead thread does not leave the group: its partition moves once its session expires.
            ingestion.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
            ingestion.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);
            KafkaStreams queries = QueryApplication.create(ingestion, config, executor, store, latency -> { },
                    QueryAuthorizer.NONE);
            try (queries; Client client = new Client(broker.bootstrapServers(), config.topics().queries())) {
                queries.start();
                await("query application running", Duration.ofSeconds(60),
                        () -> queries.state() == KafkaStreams.State.RUNNING);
                Set<String> threads = threadNames(queries);

                for (int i = 0; i < BEFORE_CRASH; i++) {
                    client.send(i);
                }
                await("the first queries answered", Duration.ofSeconds(60),
                        () -> client.poll().keySet().size() == BEFORE_CRASH);
                store.crashNextSearch.set(true);
                for (int i = BEFORE_CRASH; i < BEFORE_CRASH + AFTER_CRASH; i++) {
                    client.send(i);
                }
                await("every query answered", Duration.ofSeconds(90),
                        () -> client.poll().keySet().size() == BEFORE_CRASH + AFTER_CRASH);
                Thread.sleep(1_000);
                Map<String, List<ConsumerRecord<byte[], byte[]>>> replies = client.poll();

                assertThat(store.crashes.get()).as("stream threads crashed").isEqualTo(1);
                assertThat(threadNames(queries)).as("the crashed thread was replaced").isNotEqualTo(threads);
                assertThat(queries.state()).isEqualTo(KafkaStreams.State.RUNNING);
                int answeredAgain = 0;
                for (int i = 0; i < BEFORE_CRASH + AFTER_CRASH; i++) {
                    List<ConsumerRecord<byte[], byte[]>> answers = replies.get(Client.correlation(i));
                    assertThat(answers).as("replies to query " + i).isNotEmpty();
                    JsonNode first = withoutTook(answers.get(0));
                    assertThat(first.path("results")).as("reply to query %d: %s", i, first).hasSize(3);
                    for (ConsumerRecord<byte[], byte[]> answer : answers) {
                        assertThat(withoutTook(answer)).as("every reply to query " + i).isEqualTo(first);
                    }
                    answeredAgain += answers.size() > 1 ? 1 : 0;
                }
                System.out.printf("%d queries, one stream thread crash: each answered, %d of them twice%n",
                        BEFORE_CRASH + AFTER_CRASH, answeredAgain);
                assertThat(answeredAgain).as("queries answered before the crash and again after it").isPositive();
            }
        }
    }

    private static JsonNode withoutTook(ConsumerRecord<byte[], byte[]> reply) throws Exception {
        ObjectNode body = (ObjectNode) JSON.readTree(reply.value());
        body.remove("took_ms");
        return body;
    }

    private static Set<String> threadNames(KafkaStreams streams) {
        return streams.metadataForLocalThreads().stream().map(ThreadMetadata::threadName).collect(Collectors.toSet());
    }

    /** Stands for a crash of the stream thread in the middle of a query. */
    private static final class SimulatedCrash extends Error {
        SimulatedCrash() {
            super("simulated crash of a query stream thread");
        }
    }

    /** The embedded store, except that once armed, the next search throws {@link SimulatedCrash}. */
    private static final class CrashingStore implements MultiVectorStore {
        final AtomicBoolean crashNextSearch = new AtomicBoolean();
        final AtomicInteger crashes = new AtomicInteger();
        private final MultiVectorStore delegate;

        CrashingStore(MultiVectorStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public List<SearchHit> search(MultiVector query, int topK, SearchFilter filter) {
            if (crashNextSearch.compareAndSet(true, false)) {
                crashes.incrementAndGet();
                throw new SimulatedCrash();
            }
            return delegate.search(query, topK, filter);
        }

        @Override
        public void ensureCollection(int dim) {
            delegate.ensureCollection(dim);
        }

        @Override
        public void upsert(List<PagePoint> points) {
            delegate.upsert(points);
        }

        @Override
        public void deleteDocument(String docId, String tenant) {
            delegate.deleteDocument(docId, tenant);
        }

        @Override
        public long count(SearchFilter filter) {
            return delegate.count(filter);
        }

        @Override
        public Optional<PagePoint> get(UUID id) {
            return delegate.get(id);
        }

        @Override
        public boolean isReachable() {
            return delegate.isReachable();
        }

        @Override
        public void close() {
        }
    }

    /** Sends queries with Spring request-reply headers and collects every reply, by correlation id. */
    private static final class Client implements AutoCloseable {
        private final String queryTopic;
        private final KafkaProducer<String, byte[]> producer;
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Map<String, List<ConsumerRecord<byte[], byte[]>>> replies = new HashMap<>();

        Client(String bootstrap, String queryTopic) {
            this.queryTopic = queryTopic;
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                    new StringSerializer(), new ByteArraySerializer());
            consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            TopicPartition partition = new TopicPartition(REPLY_TOPIC, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
        }

        static String correlation(int i) {
            return "crash-query-" + i;
        }

        void send(int i) throws Exception {
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(queryTopic, "q-" + i,
                    ("{\"query\": \"which page is number " + i + "?\", \"top_k\": 3}")
                            .getBytes(StandardCharsets.UTF_8));
            record.headers().add(ReplyRoute.SPRING_CORRELATION_ID, correlation(i).getBytes(StandardCharsets.UTF_8));
            record.headers().add(ReplyRoute.SPRING_REPLY_TOPIC, REPLY_TOPIC.getBytes(StandardCharsets.UTF_8));
            producer.send(record).get(30, TimeUnit.SECONDS);
        }

        /** Every reply so far, by correlation id. */
        Map<String, List<ConsumerRecord<byte[], byte[]>>> poll() {
            for (ConsumerRecord<byte[], byte[]> reply : consumer.poll(Duration.ofMillis(100))) {
                Header id = reply.headers().lastHeader(ReplyRoute.SPRING_CORRELATION_ID);
                String key = id == null ? "(none)" : new String(id.value(), StandardCharsets.UTF_8);
                replies.computeIfAbsent(key, k -> new ArrayList<>()).add(reply);
            }
            return replies;
        }

        @Override
        public void close() {
            producer.close();
            consumer.close();
        }
    }
}
