package pagestream.store.qdrant;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import pagestream.PageStreamConfig;
import pagestream.api.InProcessPipeline;
import pagestream.api.PipelineProbe;
import pagestream.api.StandaloneConfig;
import pagestream.api.health.VectorStoreHealthCheck;
import pagestream.embed.Device;
import pagestream.model.ColPaliModel;
import pagestream.model.ModelOptions;
import pagestream.store.PointIds;
import pagestream.stream.DeadLetters;
import pagestream.stream.PageBatchProcessor;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static pagestream.api.PipelineProbe.await;

/**
 * The whole ingestion path (in-process broker, Kafka Streams, the tiny model, {@link QdrantMultiVectorStore} over
 * real gRPC) against a {@link QdrantTestServer} that goes away and comes back, or refuses one document's points.
 */
class QdrantOutageTest {

    private static final String APP_ID = "pagestream-qdrant-outage-test";
    private static final int MAX_SIZE = 4;
    private static final int PARTITIONS = 3;
    /** Single-image events: a task holds the stream thread once 4 batches wait, so at most that many per task. */
    private static final int BUFFER_BOUND = PARTITIONS * PageBatchProcessor.bufferBound(MAX_SIZE);
    private static final Duration OUTAGE = Duration.ofSeconds(60);

    private static ColPaliModel model;

    @TempDir
    Path dataDir;

    private QdrantTestServer server;
    private Map<String, String> settings;
    private PageStreamConfig config;

    @BeforeAll
    static void loadModel() {
        model = ColPaliModel.load(Path.of("src/test/resources/golden/tiny-a"),
                ModelOptions.defaults().withDevice(Device.CPU));
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @BeforeEach
    void startServer() throws Exception {
        server = QdrantTestServer.start();
        settings = new HashMap<>(Map.of(
                "pagestream.data-dir", dataDir.toString(),
                "pagestream.embedded-kafka.port", "0",
                "pagestream.batch.max-size", Integer.toString(MAX_SIZE),
                "pagestream.batch.max-wait", "PT0.1S",
                "pagestream.batch.page-sub-batch", "2",
                "pagestream.limits.max-message-bytes", Integer.toString(8 << 20),
                "pagestream.topics.partitions", Integer.toString(PARTITIONS),
                "pagestream.store.type", "qdrant",
                "pagestream.store.qdrant.host", "127.0.0.1",
                "pagestream.store.qdrant.port", Integer.toString(server.port())));
        settings.put("pagestream.store.qdrant.timeout", "PT5S");
        // Shorter than the default 30 s so the test does not wait long for the first retry after the outage.
        settings.put("pagestream.retry.max-backoff", "PT4S");
        config = StandaloneConfig.of(settings);
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
    }

    @Test
    void aSixtySecondOutageHoldsIngestionWithinTheBufferBoundAndLosesNothing() throws Exception {
        List<String> before = docIds("early", 12);
        List<String> during = docIds("late", 60);
        String collection = config.store().qdrant().collection();
        try (InProcessPipeline pipeline = InProcessPipeline.start(config, model, APP_ID);
             PipelineProbe probe = new PipelineProbe(pipeline, APP_ID)) {
            VectorStoreHealthCheck readiness = new VectorStoreHealthCheck(pipeline.store());
            String pages = config.topics().pages();
            probe.publish(pages, before, Map.of(), png(), jpeg());
            await("the first pages stored", Duration.ofSeconds(60), () -> server.pointCount(collection) == before.size());
            assertThat(readiness.call().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);

            server.stop();
            long outageStart = System.nanoTime();
            probe.publish(pages, during, Map.of(), png(), jpeg());
            await("readiness DOWN", Duration.ofSeconds(10),
                    () -> readiness.call().getStatus() == HealthCheckResponse.Status.DOWN);
            await("pages buffered during the outage", Duration.ofSeconds(30),
                    () -> probe.bufferedPages() >= 2 * MAX_SIZE);
            int stored = server.pointCount(collection);
            assertThat(stored).isEqualTo(before.size());
            long maxBuffered = 0;
            while (System.nanoTime() - outageStart < OUTAGE.toNanos()) {
                long committed = probe.committed(pages);
                long buffered = probe.bufferedPages();
                maxBuffered = Math.max(maxBuffered, buffered);
                // No offset of a page that is neither stored nor buffered (nor dead-lettered) is committed.
                assertThat(committed).as("committed offsets").isLessThanOrEqualTo(stored + buffered);
                assertThat(buffered).as("buffered pages").isLessThanOrEqualTo(BUFFER_BOUND);
                assertThat(readiness.call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
                assertThat(probe.running()).as("Kafka Streams RUNNING through the outage").isTrue();
                Thread.sleep(2_000);
            }
            long lag = probe.endOffsets(pages) - probe.committed(pages);
            assertThat(lag).as("input left unread while the store is down").isGreaterThanOrEqualTo(
                    during.size() - BUFFER_BOUND);
            assertThat(maxBuffered).isLessThanOrEqualTo(BUFFER_BOUND);

            server.restart();
            long restarted = System.nanoTime();
            int all = before.size() + during.size();
            await("every page stored after the outage", Duration.ofSeconds(90),
                    () -> server.pointCount(collection) == all);
            System.out.printf("Qdrant outage of %s: at most %d pages buffered (bound %d), %d of %d events unread at "
                    + "its end, every page stored %.1f s after the restart%n", OUTAGE, maxBuffered, BUFFER_BOUND, lag,
                    during.size(), (System.nanoTime() - restarted) / 1e9);
            for (String doc : concat(before, during)) {
                assertThat(pipeline.store().get(PointIds.of(null, doc, 1))).as(doc).isPresent();
            }
            await("input fully committed", Duration.ofSeconds(30), () -> lagOrMinusOne(probe, pages) == 0);
            assertThat(server.pointCount(collection)).isEqualTo(all);
            assertThat(probe.bufferedPages()).isZero();
            assertThat(probe.endOffsets(config.topics().pagesDlq())).as("dead letters").isZero();
            await("readiness UP", Duration.ofSeconds(10),
                    () -> readiness.call().getStatus() == HealthCheckResponse.Status.UP);
        }
    }

    @Test
    void aPageTheStoreRefusesGoesToTheDeadLetterTopicAndThePagesAroundItAreStored() throws Exception {
        // One partition and a long max-wait: the poison page is in a full batch of 4, which is retried page by page.
        settings.put("pagestream.topics.partitions", "1");
        settings.put("pagestream.batch.max-wait", "PT2S");
        config = StandaloneConfig.of(settings);
        List<String> docs = docIds("doc", 11);
        docs.add(5, "poison");
        server.refuseDocument("poison");
        String collection = config.store().qdrant().collection();
        try (InProcessPipeline pipeline = InProcessPipeline.start(config, model, APP_ID);
             PipelineProbe probe = new PipelineProbe(pipeline, APP_ID)) {
            String pages = config.topics().pages();
            probe.publish(pages, docs, Map.of(), png(), jpeg());
            await("the good pages stored", Duration.ofSeconds(60), () -> server.pointCount(collection) == 11);
            List<ConsumerRecord<byte[], byte[]>> dead = probe.read(config.topics().pagesDlq(), 1);
            assertThat(dead).singleElement().satisfies(record -> {
                assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("poison");
                assertThat(header(record, DeadLetters.REASON)).isEqualTo("store_rejected");
                assertThat(header(record, DeadLetters.CAUSE))
                        .contains("INVALID_ARGUMENT", "test server refuses points of document poison");
                assertThat(header(record, DeadLetters.TOPIC)).isEqualTo(pages);
                assertThat(header(record, "content-type")).isEqualTo("image/png");
                assertThat(header(record, "page")).isEqualTo("1");
                // The value is the page as the model saw it, a PNG that can be published again as it is.
                assertThat(record.value()).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
            });
            await("input fully committed", Duration.ofSeconds(30), () -> lagOrMinusOne(probe, pages) == 0);
            assertThat(probe.bufferedPages()).isZero();
            assertThat(pipeline.store().get(PointIds.of(null, "poison", 1))).isEmpty();
            assertThat(pipeline.store().isReachable()).as("a refused page is not an outage").isTrue();
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static long lagOrMinusOne(PipelineProbe probe, String topic) {
        try {
            return probe.endOffsets(topic) - probe.committed(topic);
        } catch (Exception e) {
            return -1;
        }
    }

    private static List<String> docIds(String prefix, int n) {
        return new java.util.ArrayList<>(IntStream.range(0, n).mapToObj(i -> prefix + "-" + i).toList());
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private static byte[] png() throws Exception {
        return Files.readAllBytes(Path.of("src/test/resources/golden/preprocess/page1_libtasn1_p3.png"));
    }

    private static byte[] jpeg() throws Exception {
        return Files.readAllBytes(Path.of("src/test/resources/golden/preprocess/page3_libtasn1_p5.jpg"));
    }
}
