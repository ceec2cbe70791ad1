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
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.PageStreamConfig;
import pagestream.api.InProcessPipeline;
import pagestream.store.SearchFilter;
import pagestream.stream.BadInputGenerator.Message;
import pagestream.stream.BadInputGenerator.Outcome;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 5, "bad input at volume": 10,000 generated events ({@link BadInputGenerator}, seed
 * {@link BadInputDecoderFuzzTest#SEED}) — random, mutated, truncated and bomb images and PDFs, broken headers,
 * keys and JSON, bad queries and reply headers, interleaved with good pages and queries — go through the real
 * pipeline ({@link InProcessPipeline}: in-process broker, Kafka Streams exactly-once, tiny-a, embedded store).
 *
 * <p>Asserted: Kafka Streams stays RUNNING with the same stream threads the whole time (no thread died or was
 * replaced, no uncaught exception anywhere in the JVM); every bad page and every bad query without a usable
 * reply path is in its DLQ exactly once with the expected {@code dead-letter-reason} and the topic, partition
 * and offset it was produced at; every bad query with a reply path gets exactly one error reply with the expected
 * code; every good query exactly one reply with results; every good page is stored with all its pages, and
 * nothing else is stored; both input topics are fully committed.
 */
class BadInputPipelineFuzzTest {

    static final int MESSAGES = 10_000;
    private static final String APP_ID = "pagestream-fuzz";
    private static final Duration TIMEOUT = Duration.ofMinutes(4);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;

    @BeforeAll
    static void quietPdfBox() {
        QuietPdfBox.on();
    }

    @AfterAll
    static void loudPdfBox() {
        QuietPdfBox.off();
    }

    /** The service settings the generator's events are sized against. */
    static Map<String, String> settings() {
        return Map.of(
                "pagestream.limits.max-message-bytes", Integer.toString(BadInputGenerator.MAX_MESSAGE_BYTES),
                "pagestream.limits.max-pdf-pages", Integer.toString(BadInputGenerator.MAX_PDF_PAGES),
                "pagestream.limits.max-query-bytes", Integer.toString(BadInputGenerator.MAX_QUERY_BYTES),
                "pagestream.limits.max-top-k", Integer.toString(BadInputGenerator.MAX_TOP_K),
                "pagestream.batch.max-size", "8",
                "pagestream.batch.max-wait", "PT0.2S",
                "pagestream.batch.page-sub-batch", "4");
    }

    @Test
    void tenThousandBadAndGoodEventsEachGetTheirOutcomeAndThePipelineNeverStops() throws Exception {
        List<Message> messages = new BadInputGenerator(BadInputDecoderFuzzTest.SEED).generate(MESSAGES);
        Map<String, String> settings = new HashMap<>(settings());
        settings.put("pagestream.data-dir", dataDir.toString());
        settings.put("pagestream.embedded-kafka.port", "0");
        PageStreamConfig config = StreamTestSupport.config(settings);
        ConcurrentLinkedQueue<String> uncaught = new ConcurrentLinkedQueue<>();
        Thread.UncaughtExceptionHandler previousHandler = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> uncaught.add(thread.getName() + ": " + e));
        long start = System.nanoTime();

        try (InProcessPipeline pipeline = InProcessPipeline.start(config, TinyModel.get(), APP_ID);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                     pipeline.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(BadInputGenerator.CLIENT_REPLIES, 3, (short) 1))).all()
                    .get(30, TimeUnit.SECONDS);
            StreamsWatch watch = new StreamsWatch(pipeline.streams(), pipeline.queryStreams());
            Thread watcher = new Thread(watch, "fuzz-streams-watch");
            watcher.setDaemon(true);
            watcher.start();

            Map<Integer, RecordMetadata> produced = produce(pipeline, config, messages);
            await("both input topics fully committed", () -> lag(admin, pipeline, config.topics().pages()) == 0
                    && lag(admin, pipeline, config.topics().queries()) == 0);

            Map<Integer, ConsumerRecord<byte[], byte[]>> pageDead = byId(readAll(pipeline,
                    config.topics().pagesDlq()), config.topics().pagesDlq());
            Map<Integer, ConsumerRecord<byte[], byte[]>> queryDead = byId(readAll(pipeline,
                    config.topics().queriesDlq()), config.topics().queriesDlq());
            Map<Integer, ConsumerRecord<byte[], byte[]>> replies = new HashMap<>();
            collectReplies(readAll(pipeline, BadInputGenerator.CLIENT_REPLIES), replies);
            collectReplies(readAll(pipeline, config.topics().replies()), replies);

            // every page that must (or, mutated, may) be stored and was not dead-lettered is stored
            List<Message> toStore = messages.stream().filter(m -> m.topic() == BadInputGenerator.Topic.PAGES
                    && (m.expected().outcome() == Outcome.STORED
                    || m.expected().mayStore() && !pageDead.containsKey(m.id()))).toList();
            await("every good page stored", () -> toStore.stream().allMatch(m -> storedPages(pipeline, m) > 0));
            long storedTotal = pipeline.store().count(SearchFilter.any());
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

            watch.stop();
            watcher.join(5_000);
            List<String> problems = new ArrayList<>(watch.problems());
            problems.addAll(uncaught);
            for (Message message : messages) {
                problems.addAll(check(message, produced.get(message.id()), pageDead.get(message.id()),
                        queryDead.get(message.id()), replies.get(message.id()), storedPages(pipeline, message)));
            }
            long expectedStored = toStore.stream().mapToLong(m -> storedPages(pipeline, m)).sum();
            if (storedTotal != expectedStored) {
                problems.add("the store holds " + storedTotal + " pages, the good events account for "
                        + expectedStored);
            }
            report(messages, pageDead.size(), queryDead.size(), replies.size(), storedTotal, elapsed);
            assertThat(problems).as("fuzzing problems").isEmpty();
            assertThat(pipeline.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(pipeline.queryStreams().state()).isEqualTo(KafkaStreams.State.RUNNING);
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previousHandler);
        }
    }

    /** Everything wrong with one event's outcome; empty when it got exactly what it expected. */
    private static List<String> check(Message message, RecordMetadata produced, ConsumerRecord<byte[], byte[]> pageDead,
            ConsumerRecord<byte[], byte[]> queryDead, ConsumerRecord<byte[], byte[]> reply, long stored) {
        List<String> problems = new ArrayList<>();
        Outcome expected = message.expected().outcome();
        boolean deadLettered = pageDead != null || queryDead != null;
        ConsumerRecord<byte[], byte[]> dead = pageDead != null ? pageDead : queryDead;
        if (message.expected().mayStore() && pageDead == null && stored > 0) {
            return problems; // a mutated page that still decodes: stored, and nowhere else (checked below too)
        }
        switch (expected) {
            case STORED -> {
                if (stored != message.expected().pages()) {
                    problems.add(message + ": " + stored + " pages stored");
                }
            }
            case PAGE_DLQ, QUERY_DLQ -> {
                ConsumerRecord<byte[], byte[]> want = expected == Outcome.PAGE_DLQ ? pageDead : queryDead;
                if (want == null) {
                    problems.add(message + ": not in the " + expected + (stored > 0 ? " (stored instead)" : ""));
                } else {
                    String reason = header(want, DeadLetters.REASON);
                    if (!message.expected().reasons().contains(reason)) {
                        problems.add(message + ": dead-lettered with " + reason + " (" + header(want,
                                DeadLetters.CAUSE) + ")");
                    }
                    String origin = header(want, DeadLetters.TOPIC) + "/" + header(want, DeadLetters.PARTITION) + "/"
                            + header(want, DeadLetters.OFFSET);
                    String producedAt = produced.topic() + "/" + produced.partition() + "/" + produced.offset();
                    if (!origin.equals(producedAt)) {
                        problems.add(message + ": dead letter names " + origin + ", produced at " + producedAt);
                    }
                }
            }
            case REPLY, ERROR_REPLY -> {
                if (reply == null) {
                    problems.add(message + ": no reply");
                } else {
                    problems.addAll(checkReply(message, reply));
                }
            }
        }
        if (deadLettered && expected != Outcome.PAGE_DLQ && expected != Outcome.QUERY_DLQ) {
            problems.add(message + ": unexpectedly dead-lettered with " + header(dead, DeadLetters.REASON));
        }
        if (reply != null && expected != Outcome.REPLY && expected != Outcome.ERROR_REPLY) {
            problems.add(message + ": unexpectedly answered");
        }
        if (stored > 0 && expected != Outcome.STORED) {
            problems.add(message + ": " + stored + " pages stored although dead-lettered");
        }
        return problems;
    }

    private static List<String> checkReply(Message message, ConsumerRecord<byte[], byte[]> reply) {
        JsonNode json;
        try {
            json = JSON.readTree(reply.value());
        } catch (java.io.IOException e) {
            return List.of(message + ": reply is not JSON: " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        if (!reply.topic().equals(message.replyTopic())) {
            problems.add(message + ": reply on " + reply.topic() + ", expected " + message.replyTopic());
        }
        if (message.expected().outcome() == Outcome.REPLY) {
            if (!json.path("results").isArray()) {
                problems.add(message + ": reply without results: " + json);
            }
        } else if (!message.expected().reasons().contains(json.path("error").path("code").asText())) {
            problems.add(message + ": error reply " + json);
        }
        return problems;
    }

    private static long storedPages(InProcessPipeline pipeline, Message message) {
        return message.docId() == null ? 0
                : pipeline.store().count(new SearchFilter(message.tenant(), message.docId()));
    }

    private static Map<Integer, RecordMetadata> produce(InProcessPipeline pipeline, PageStreamConfig config,
            List<Message> messages) throws Exception {
        Map<Integer, Future<RecordMetadata>> sent = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrapServers(),
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * BadInputGenerator.MAX_MESSAGE_BYTES + (1 << 20),
                ProducerConfig.LINGER_MS_CONFIG, 5),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Message message : messages) {
                String topic = message.topic() == BadInputGenerator.Topic.PAGES ? config.topics().pages()
                        : config.topics().queries();
                sent.put(message.id(), producer.send(new ProducerRecord<>(topic, null, message.key(), message.value(),
                        message.headers())));
            }
        }
        Map<Integer, RecordMetadata> produced = new HashMap<>();
        for (Map.Entry<Integer, Future<RecordMetadata>> entry : sent.entrySet()) {
            produced.put(entry.getKey(), entry.getValue().get(30, TimeUnit.SECONDS));
        }
        return produced;
    }

    /** Every committed record of {@code topic}, read from the beginning to the end offsets of now. */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(InProcessPipeline pipeline, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 << 20,
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 << 20),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                assertThat(System.nanoTime()).as("reading " + topic).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    /** Dead letters by event id; an event dead-lettered twice is a failure. */
    private static Map<Integer, ConsumerRecord<byte[], byte[]>> byId(List<ConsumerRecord<byte[], byte[]>> records,
            String topic) {
        Map<Integer, ConsumerRecord<byte[], byte[]>> byId = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            int id = Integer.parseInt(header(record, BadInputGenerator.ID_HEADER));
            assertThat(byId.put(id, record)).as("event " + id + " twice on " + topic).isNull();
        }
        return byId;
    }

    /** Replies by event id, from the echoed correlation id or (no reply headers) the query key {@code q-<id>}. */
    private static void collectReplies(List<ConsumerRecord<byte[], byte[]>> records,
            Map<Integer, ConsumerRecord<byte[], byte[]>> byId) {
        for (ConsumerRecord<byte[], byte[]> record : records) {
            Header correlation = record.headers().lastHeader(ReplyRoute.SMALLRYE_CORRELATION_ID);
            if (correlation == null) {
                correlation = record.headers().lastHeader(ReplyRoute.SPRING_CORRELATION_ID);
            }
            int id = correlation != null ? (int) ByteBuffer.wrap(correlation.value()).getLong()
                    : Integer.parseInt(new String(record.key(), StandardCharsets.UTF_8).substring(2));
            assertThat(byId.put(id, record)).as("event " + id + " answered twice").isNull();
        }
    }

    private static long lag(Admin admin, InProcessPipeline pipeline, String topic) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(pipeline.groupOf(topic))
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            var partitions = admin.describeTopics(Set.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(topic).partitions();
            long end = admin.listOffsets(partitions.stream().collect(Collectors.toMap(
                            p -> new TopicPartition(topic, p.partition()),
                            p -> org.apache.kafka.clients.admin.OffsetSpec.latest())))
                    .all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(i -> i.offset()).sum();
            long done = committed.entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
                    .mapToLong(e -> e.getValue().offset()).sum();
            return end - done;
        } catch (Exception e) {
            return -1;
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) {
        StreamTestSupport.await(what, TIMEOUT, () -> {
            if (condition.getAsBoolean()) {
                return true;
            }
            sleep(100);
            return false;
        });
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void report(List<Message> messages, int pageDead, int queryDead, int replies, long stored,
            Duration elapsed) {
        Map<String, Long> categories = new TreeMap<>(messages.stream().collect(Collectors.groupingBy(
                m -> m.category().replaceAll("^(query-no-reply|query|magic-then-garbage|invalid-utf8-header)-.*",
                        "$1-*"), Collectors.counting())));
        System.out.printf("fuzz: %d events (seed %d) in %d s: %d page dead letters, %d query dead letters, "
                        + "%d replies, %d pages stored%n  by category: %s%n", messages.size(),
                BadInputDecoderFuzzTest.SEED, elapsed.toSeconds(), pageDead, queryDead, replies, stored, categories);
    }

    /**
     * Samples both Kafka Streams applications every 20 ms: any state but RUNNING, a change in the set of stream
     * threads (one died or was replaced) or a failed-stream-threads metric above zero is a problem.
     */
    private static final class StreamsWatch implements Runnable {
        private final List<KafkaStreams> applications;
        private final Set<String> threads;
        private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean running = new AtomicBoolean(true);

        StreamsWatch(KafkaStreams... applications) {
            this.applications = List.of(applications);
            this.threads = threadNames(this.applications);
        }

        @Override
        public void run() {
            while (running.get()) {
                check();
                sleep(20);
            }
            check();
        }

        private void check() {
            for (KafkaStreams streams : applications) {
                KafkaStreams.State state = streams.state();
                if (state != KafkaStreams.State.RUNNING) {
                    addOnce("Kafka Streams left RUNNING: " + state);
                }
                streams.metrics().forEach((name, metric) -> {
                    if (name.name().equals("failed-stream-threads")
                            && ((Number) metric.metricValue()).doubleValue() > 0) {
                        addOnce("failed-stream-threads = " + metric.metricValue());
                    }
                });
            }
            Set<String> now = threadNames(applications);
            if (!now.equals(threads)) {
                addOnce("stream threads changed from " + threads + " to " + now);
            }
        }

        private void addOnce(String problem) {
            if (!problems.contains(problem)) {
                problems.add(problem);
            }
        }

        void stop() {
            running.set(false);
        }

        List<String> problems() {
            return List.copyOf(problems);
        }

        private static Set<String> threadNames(List<KafkaStreams> applications) {
            return applications.stream().flatMap(streams -> streams.metadataForLocalThreads().stream())
                    .map(ThreadMetadata::threadName).collect(Collectors.toSet());
        }
    }
}
