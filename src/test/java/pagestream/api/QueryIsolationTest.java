package pagestream.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.InsecureServerCredentials;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.PageStreamConfig;
import pagestream.store.SearchFilter;
import pagestream.store.qdrant.QdrantTestServer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static pagestream.api.PipelineProbe.await;

/**
 * What running queries as a Kafka Streams application of their own buys: with ingestion stalled — the vector store
 * takes no writes, so page flushes fail and back off, the page buffers fill, the page stream threads are held and,
 * after {@code pagestream.retry.max-block}, replaced (their transactions aborted, their tasks reassigned in the
 * ingestion group) — queries are still answered from the store's reads, about as fast as when idle, and the query
 * application keeps its threads and never rebalances. Then writes come back and every page is stored. The page
 * stream threads run at background priority, the query threads at normal priority ({@code BackgroundPriority}).
 */
class QueryIsolationTest {

    private static final String APP_ID = "pagestream-query-isolation-test";
    private static final String REPLY_TOPIC = "query-isolation.replies";
    private static final int PAGES_BEFORE = 6;
    /** More than the three tasks' buffers hold (3 × 16 for max-size 4): the page threads end up held. */
    private static final int PAGES_DURING = 75;
    /** How long queries go on once a page thread was replaced. */
    private static final Duration AFTER_REPLACEMENT = Duration.ofSeconds(3);
    /** A reply under a stalled ingestion may not take longer than this (idle replies take ~0.1 s here). */
    private static final Duration MAX_REPLY = Duration.ofSeconds(2);
    private static final String QUERY = "{\"query\": \"what does this page describe?\", \"top_k\": 3}";

    private static TestModel model;

    @TempDir
    Path dataDir;

    private QdrantTestServer server;

    @BeforeAll
    static void loadModel() {
        model = TestModel.load("src/test/resources/golden/tiny-a");
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @BeforeEach
    void startServer() throws Exception {
        server = QdrantTestServer.start(InsecureServerCredentials.create(), null);
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
    }

    @Test
    void queriesAreAnsweredPromptlyWhileIngestionIsStalledAndItsThreadsAreReplaced() throws Exception {
        PageStreamConfig config = StandaloneConfig.of(Map.ofEntries(
                Map.entry("pagestream.data-dir", dataDir.toString()),
                Map.entry("pagestream.embedded-kafka.port", "0"),
                Map.entry("pagestream.batch.max-size", "4"),
                Map.entry("pagestream.batch.max-wait", "PT0.1S"),
                Map.entry("pagestream.batch.page-sub-batch", "2"),
                Map.entry("pagestream.limits.max-message-bytes", Integer.toString(8 << 20)),
                Map.entry("pagestream.store.type", "qdrant"),
                Map.entry("pagestream.store.qdrant.host", "127.0.0.1"),
                Map.entry("pagestream.store.qdrant.port", Integer.toString(server.port())),
                Map.entry("pagestream.store.qdrant.timeout", "PT5S"),
                Map.entry("pagestream.retry.max-backoff", "PT1S"),
                // Held page threads give up (and are replaced) after 3 s: several ingestion rebalances in the test.
                Map.entry("pagestream.retry.max-block", "PT3S")));
        String pages = config.topics().pages();
        try (InProcessPipeline pipeline = InProcessPipeline.start(config, model.model(), APP_ID);
             PipelineProbe probe = new PipelineProbe(pipeline, APP_ID);
             KafkaQueryClient client = new KafkaQueryClient(
                     Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrapServers()), REPLY_TOPIC)) {
            probe.publish(pages, docIds("before", PAGES_BEFORE), Map.of(), TestPages.png(), TestPages.jpeg());
            await("the first pages stored", Duration.ofSeconds(60), () -> stored(pipeline) == PAGES_BEFORE);
            // Under full ingestion queries get the CPU first: page threads run at background priority.
            assertThat(priorities(pipeline.streams())).as("ingestion stream threads")
                    .containsOnly(Thread.MIN_PRIORITY);
            assertThat(priorities(pipeline.queryStreams())).as("query stream threads")
                    .containsOnly(Thread.NORM_PRIORITY);
            List<Long> idle = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                idle.add(timedQuery(client));
            }

            server.stallWrites(true);
            Set<String> pageThreads = threadNames(pipeline.streams());
            Set<String> queryThreads = threadNames(pipeline.queryStreams());
            int queryRebalances = pipeline.queryRebalances();
            probe.publish(pages, docIds("during", PAGES_DURING), Map.of(), TestPages.png(), TestPages.jpeg());
            // Queries all along: the page threads decode and buffer, fill their buffers, are held, give up after
            // max-block and are replaced; then a little longer.
            List<Long> stalled = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            long replacedAt = 0;
            while (System.nanoTime() < deadline
                    && (replacedAt == 0 || System.nanoTime() - replacedAt < AFTER_REPLACEMENT.toNanos())) {
                stalled.add(timedQuery(client));
                if (replacedAt == 0 && !threadNames(pipeline.streams()).equals(pageThreads)) {
                    replacedAt = System.nanoTime();
                }
                Thread.sleep(100);
            }
            System.out.printf("replies idle %s ms; while ingestion was stalled %s ms (%d pages stored)%n", idle,
                    stalled, stored(pipeline));

            assertThat(replacedAt).as("a page stream thread held past max-block and replaced").isPositive();
            assertThat(stored(pipeline)).as("ingestion stalled: nothing stored").isEqualTo(PAGES_BEFORE);
            assertThat(threadNames(pipeline.queryStreams())).as("query threads untouched").isEqualTo(queryThreads);
            assertThat(pipeline.queryRebalances()).as("query application rebalances").isEqualTo(queryRebalances);
            assertThat(stalled).as("replies while ingestion was stalled").hasSizeGreaterThan(10)
                    .allSatisfy(ms -> assertThat(ms).isLessThan(MAX_REPLY.toMillis()));
            assertThat(median(stalled)).as("median reply while stalled vs idle %s", idle)
                    .isLessThanOrEqualTo(2 * median(idle) + 100);

            server.stallWrites(false);
            await("every page stored once writes are back", Duration.ofSeconds(180),
                    () -> stored(pipeline) == PAGES_BEFORE + PAGES_DURING);
        }
    }

    /** Asks one query and returns its reply latency in ms; the reply must be results from the stored pages. */
    private static long timedQuery(KafkaQueryClient client) throws Exception {
        long start = System.nanoTime();
        JsonNode reply = client.ask(QUERY);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(reply.path("results")).as("reply %s", reply).hasSize(3);
        return ms;
    }

    private static Set<String> threadNames(KafkaStreams streams) {
        return streams.metadataForLocalThreads().stream().map(ThreadMetadata::threadName).collect(Collectors.toSet());
    }

    private static List<Integer> priorities(KafkaStreams streams) {
        Set<String> names = threadNames(streams);
        List<Integer> priorities = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> names.contains(thread.getName())).map(Thread::getPriority).toList();
        assertThat(priorities).as("live threads named %s", names).hasSameSizeAs(names);
        return priorities;
    }

    private static long stored(InProcessPipeline pipeline) {
        return pipeline.store().count(SearchFilter.any());
    }

    private static long median(List<Long> values) {
        return values.stream().sorted().toList().get(values.size() / 2);
    }

    private static List<String> docIds(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + "-" + i).toList();
    }
}
