package pagestream.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.PageStreamConfig;
import pagestream.embed.EmbeddingExecutor;
import pagestream.model.ColPaliModel;
import pagestream.model.MultiVector;
import pagestream.model.processor.BicubicResizer;
import pagestream.model.processor.ImageDecoder;
import pagestream.model.processor.PdfRenderer;
import pagestream.model.processor.RgbImage;
import pagestream.store.SearchFilter;
import pagestream.store.StoreFixtures;
import pagestream.store.embedded.EmbeddedMultiVectorStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static pagestream.stream.PageStreamTopology.PAGE_BUFFER_STORE;
import static pagestream.stream.StreamTestSupport.await;

/**
 * Both topologies (ingestion and queries), each on a TopologyTestDriver with its own settings, as the two Kafka
 * Streams applications run them, with the real tiny model and a real embedded store they share.
 */
class PageStreamTopologyTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2026-11-26T00:00:00Z");

    @TempDir
    Path tmp;

    private final ColPaliModel model = TinyModel.get();
    private PageStreamConfig config;
    private EmbeddingExecutor executor;
    private EmbeddedMultiVectorStore store;
    private TopologyTestDriver driver;
    private TopologyTestDriver queryDriver;
    private TestInputTopic<byte[], byte[]> pages;
    private TestInputTopic<byte[], byte[]> queries;
    private TestOutputTopic<byte[], byte[]> pagesDlq;
    private TestOutputTopic<byte[], byte[]> queriesDlq;
    private TestOutputTopic<byte[], byte[]> replies;

    @BeforeEach
    void setUp() {
        config = StreamTestSupport.config(Map.of(
                "pagestream.batch.max-size", "3",
                "pagestream.batch.max-wait", "PT0.5S",
                "pagestream.limits.max-message-bytes", "300000",
                "pagestream.limits.max-image-pixels", "4000000",
                "pagestream.limits.max-query-bytes", "512",
                "pagestream.limits.max-top-k", "20"));
        executor = new EmbeddingExecutor(model, 2, 16);
        store = EmbeddedMultiVectorStore.open(tmp.resolve("store"));
        store.ensureCollection(model.embeddingDim());
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "pagestream-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state").toString());
        Properties queryProps = new Properties();
        queryProps.putAll(props);
        props.putAll(PageStreamTopology.ingestionStreamsProperties(config));
        driver = new TopologyTestDriver(PageStreamTopology.ingestion(config, executor, store), props, T0);
        queryProps.putAll(PageStreamTopology.queryStreamsProperties(config));
        queryProps.put(StreamsConfig.APPLICATION_ID_CONFIG, PageStreamTopology.queryApplicationId("pagestream-test"));
        queryProps.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state/queries").toString());
        queryDriver = new TopologyTestDriver(PageStreamTopology.queries(config, executor, store), queryProps, T0);
        ByteArraySerializer bytesOut = new ByteArraySerializer();
        ByteArrayDeserializer bytesIn = new ByteArrayDeserializer();
        pages = driver.createInputTopic(config.topics().pages(), bytesOut, bytesOut);
        queries = queryDriver.createInputTopic(config.topics().queries(), bytesOut, bytesOut);
        pagesDlq = driver.createOutputTopic(config.topics().pagesDlq(), bytesIn, bytesIn);
        queriesDlq = queryDriver.createOutputTopic(config.topics().queriesDlq(), bytesIn, bytesIn);
        replies = queryDriver.createOutputTopic(config.topics().replies(), bytesIn, bytesIn);
    }

    @AfterEach
    void tearDown() {
        queryDriver.close();
        driver.close();
        executor.close();
        store.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Headers headers(String... keyValues) {
        RecordHeaders headers = new RecordHeaders();
        for (int i = 0; i < keyValues.length; i += 2) {
            headers.add(keyValues[i], utf8(keyValues[i + 1]));
        }
        return headers;
    }

    private void page(String docId, byte[] value, Headers headers) {
        pages.pipeInput(new TestRecord<>(docId == null ? null : utf8(docId), value, headers));
    }

    /**
     * Lets max-wait pass and keeps the wall clock moving (as a stream thread's loop does) until the store holds
     * {@code expectedPoints} and the processor has cleared its buffer.
     */
    private void drain(long expectedPoints) {
        driver.advanceWallClockTime(Duration.ofMillis(600));
        await(expectedPoints + " points in the store and an empty buffer", TIMEOUT, () -> {
            driver.advanceWallClockTime(Duration.ofMillis(100));
            return store.count(SearchFilter.any()) == expectedPoints && bufferEntries() == 0;
        });
    }

    private long bufferEntries() {
        KeyValueStore<Long, BufferedPage> buffer = driver.getKeyValueStore(PAGE_BUFFER_STORE);
        try (var all = buffer.all()) {
            long n = 0;
            while (all.hasNext()) {
                all.next();
                n++;
            }
            return n;
        }
    }

    private static String header(TestRecord<byte[], byte[]> record, String key) {
        var header = record.headers().lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private RgbImage modelInput(byte[] imageBytes) {
        return BicubicResizer.resize(new ImageDecoder(4_000_000).decode(imageBytes), model.imageSize(),
                model.imageSize());
    }

    @Test
    void describeNamesEveryNodeOfBothTopologies() {
        TopologyDescription ingestion = PageStreamTopology.ingestion(config, executor, store).describe();
        TopologyDescription queryPath = PageStreamTopology.queries(config, executor, store).describe();
        assertThat(ingestion.subtopologies()).hasSize(1);
        assertThat(queryPath.subtopologies()).hasSize(1);
        String ingestionText = ingestion.toString();
        String queryText = queryPath.toString();
        for (String name : List.of(PageStreamTopology.PAGES_SOURCE, PageStreamTopology.PAGE_BATCHER,
                PAGE_BUFFER_STORE, PageStreamTopology.PAGES_DLQ_SINK)) {
            assertThat(ingestionText).contains(name);
            assertThat(queryText).doesNotContain(name);
        }
        for (String name : List.of(PageStreamTopology.QUERIES_SOURCE, PageStreamTopology.QUERY_HANDLER,
                PageStreamTopology.REPLIES_SINK, PageStreamTopology.QUERIES_DLQ_SINK)) {
            assertThat(queryText).contains(name);
            assertThat(ingestionText).doesNotContain(name);
        }
        assertThat(ingestionText + queryText).doesNotContain("KSTREAM-");
        assertThat(queryPath.globalStores()).isEmpty();
    }

    @Test
    void theQueryApplicationIsAtLeastOnceWithImmediateSendsAndOneThreadPerPartition() {
        Map<String, Object> ingestion = PageStreamTopology.ingestionStreamsProperties(config);
        Map<String, Object> queryPath = PageStreamTopology.queryStreamsProperties(config);
        assertThat(ingestion).containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2)
                .containsEntry(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.topics().partitions());
        assertThat(queryPath).containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE)
                .containsEntry(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.topics().partitions())
                .containsEntry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000L)
                .containsEntry("producer.linger.ms", 0)
                .containsEntry("producer.acks", "all");

        PageStreamConfig exactlyOnce = StreamTestSupport.config(
                Map.of("pagestream.queries.processing-guarantee", "exactly_once_v2"));
        assertThat(PageStreamTopology.queryStreamsProperties(exactlyOnce))
                .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2)
                .containsEntry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100L);
        PageStreamConfig unknown = StreamTestSupport.config(
                Map.of("pagestream.queries.processing-guarantee", "at_most_once"));
        assertThatThrownBy(() -> PageStreamTopology.queryStreamsProperties(unknown))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pagestream.queries.processing-guarantee is 'at_most_once'");
    }

    @Test
    void batchesBySizeWithoutWaitingForTheClock() {
        page("a", TestPages.png(1), headers());
        page("b", TestPages.png(2), headers());
        page("c", TestPages.png(3), headers()); // third page = max-size: flushed from process()
        // Less than max-wait passes: only the size trigger can have flushed them.
        await("3 points", TIMEOUT, () -> store.count(SearchFilter.any()) == 3);
        await("an empty buffer", TIMEOUT, () -> {
            driver.advanceWallClockTime(Duration.ofMillis(1)); // lets the processor see the flush completed
            return bufferEntries() == 0;
        });
    }

    @Test
    void batchesByTimeWhenFewerPagesArrive() {
        page("a", TestPages.png(1), headers());
        driver.advanceWallClockTime(Duration.ofMillis(300));
        assertThat(store.count(SearchFilter.any())).isZero();
        assertThat(bufferEntries()).isEqualTo(1);
        drain(1);
    }

    @Test
    void everyBadInputGoesToTheDlqAndGoodPagesAroundThemGoThrough() {
        byte[] png = TestPages.png(5);
        Map<String, String> expectedReasons = new LinkedHashMap<>();
        page("good-1", TestPages.png(1), headers("tenant", "acme"));
        page("corrupt", java.util.Arrays.copyOf(png, png.length / 2), headers());
        expectedReasons.put("corrupt", "corrupt_image");
        page("empty", new byte[0], headers());
        expectedReasons.put("empty", "empty_value");
        page("unknown-type", png, headers("content-type", "application/zip"));
        expectedReasons.put("unknown-type", "unsupported_content_type");
        page("oversize", new byte[300_001], headers());
        expectedReasons.put("oversize", "oversize");
        page("bomb", TestPages.pngDeclaring(30_000), headers());
        expectedReasons.put("bomb", "too_many_pixels");
        page("bad-page", png, headers("page", "-3"));
        expectedReasons.put("bad-page", "bad_page_header");
        page("bad-json", utf8("{\"image_base64\": "), headers("content-type", "application/json"));
        expectedReasons.put("bad-json", "bad_json");
        page("unknown-field", utf8("{\"image_base64\": \"" + Base64.getEncoder().encodeToString(png)
                + "\", \"colour\": \"red\"}"), headers("content-type", "application/json"));
        expectedReasons.put("unknown-field", "unknown_field");
        page("good-2", TestPages.jpeg(2), headers("page", "7"));
        page("good-3", utf8("{\"page\": 2, \"image_base64\": \"" + Base64.getEncoder().encodeToString(png)
                + "\"}"), headers("content-type", "application/json"));

        List<TestRecord<byte[], byte[]>> dead = pagesDlq.readRecordsToList();
        Map<String, String> reasons = new LinkedHashMap<>();
        for (TestRecord<byte[], byte[]> record : dead) {
            String key = new String(record.key(), StandardCharsets.UTF_8);
            reasons.put(key, header(record, DeadLetters.REASON));
            assertThat(header(record, DeadLetters.CAUSE)).isNotBlank();
            assertThat(header(record, DeadLetters.TOPIC)).isEqualTo(config.topics().pages());
            assertThat(header(record, DeadLetters.PARTITION)).isEqualTo("0");
            assertThat(header(record, DeadLetters.OFFSET)).matches("\\d+");
        }
        assertThat(reasons).containsExactlyEntriesOf(expectedReasons);
        TestRecord<byte[], byte[]> unknownType = dead.get(2);
        assertThat(unknownType.value()).isEqualTo(png); // the original value and headers, for a replay
        assertThat(header(unknownType, "content-type")).isEqualTo("application/zip");

        drain(3);
        assertThat(store.count(SearchFilter.tenant("acme"))).isEqualTo(1);
        assertThat(store.count(new SearchFilter(null, "good-2"))).isEqualTo(1);
        assertThat(store.count(new SearchFilter(null, "good-3"))).isEqualTo(1);
    }

    @Test
    void pdfPagesBecomePagesOfTheDocument() {
        byte[] pdf = TestPages.pdf(3);
        page("manual.pdf", pdf, headers("content-type", "application/pdf"));
        drain(3);
        assertThat(store.count(new SearchFilter(null, "manual.pdf"))).isEqualTo(3);
        List<RgbImage> rendered = new PdfRenderer(PdfRenderer.DEFAULT_DPI, 10, 4_000_000, Duration.ofSeconds(60)).render(pdf);
        MultiVector page2 = model.embedImages(List.of(
                BicubicResizer.resize(rendered.get(1), model.imageSize(), model.imageSize()))).get(0);
        var stored = store.get(pagestream.store.PointIds.of("manual.pdf", 2)).orElseThrow();
        assertThat(stored.vectors().data()).containsExactly(page2.data(), org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void samePageTwiceIsOnePointWithTheLaterContent() {
        page("doc", TestPages.png(1), headers("page", "1"));
        page("doc", TestPages.png(2), headers("page", "1")); // same batch: the later wins
        drain(1);
        page("doc", TestPages.png(3), headers("page", "1")); // a later batch: replaces it
        drain(1);
        assertThat(store.count(new SearchFilter(null, "doc"))).isEqualTo(1);
        assertThat(store.get(pagestream.store.PointIds.of("doc", 1)).orElseThrow().contentSha256())
                .isEqualTo(PageEventDecoder.sha256(TestPages.png(3)));
    }

    @Test
    void tombstoneDeletesEveryPageOfTheDocument() {
        page("keep", TestPages.png(1), headers());
        page("gone", TestPages.png(2), headers("page", "1"));
        page("gone", TestPages.png(3), headers("page", "2"));
        drain(3);
        page("gone", TestPages.png(4), headers("page", "3")); // still buffered when the tombstone comes
        page("gone", null, headers());
        drain(1);
        assertThat(store.count(new SearchFilter(null, "gone"))).isZero();
        assertThat(store.count(new SearchFilter(null, "keep"))).isEqualTo(1);
        assertThat(pagesDlq.isEmpty()).isTrue();
    }

    @Test
    void repliesCarryMaxSimScoresOfTheModelsOwnEmbeddingsInRankOrder() throws Exception {
        List<byte[]> images = List.of(TestPages.png(11), TestPages.png(12), TestPages.jpeg(13), TestPages.png(14));
        for (int i = 0; i < images.size(); i++) {
            page("doc-" + i, images.get(i), headers());
        }
        drain(images.size());

        String text = "quarterly revenue table";
        RecordHeaders query = new RecordHeaders();
        query.add(ReplyRoute.SMALLRYE_CORRELATION_ID, utf8("corr-1"));
        queries.pipeInput(new TestRecord<>(utf8("q1"), utf8("{\"query\": \"" + text + "\", \"top_k\": 3}"), query));

        TestRecord<byte[], byte[]> reply = replies.readRecord();
        assertThat(reply.key()).isEqualTo(utf8("q1"));
        assertThat(header(reply, ReplyRoute.SMALLRYE_CORRELATION_ID)).isEqualTo("corr-1");
        JsonNode body = JSON.readTree(reply.value());
        assertThat(body.get("query").asText()).isEqualTo(text);
        assertThat(body.get("took_ms").asLong()).isNotNegative();

        MultiVector q = model.embedQueries(List.of(text)).get(0);
        List<double[]> expected = new ArrayList<>(); // {doc index, score}
        for (int i = 0; i < images.size(); i++) {
            MultiVector p = model.embedImages(List.of(modelInput(images.get(i)))).get(0);
            expected.add(new double[] {i, StoreFixtures.maxSim(q, p)});
        }
        expected.sort(Comparator.comparingDouble((double[] e) -> -e[1]));
        JsonNode results = body.get("results");
        assertThat(results).hasSize(3);
        for (int rank = 0; rank < 3; rank++) {
            JsonNode hit = results.get(rank);
            assertThat(hit.get("doc_id").asText()).isEqualTo("doc-" + (int) expected.get(rank)[0]);
            assertThat(hit.get("page").asInt()).isEqualTo(1);
            assertThat(hit.get("score").asDouble()).isCloseTo(expected.get(rank)[1],
                    org.assertj.core.data.Offset.offset(1e-4));
            assertThat(hit.get("tenant").isNull()).isTrue();
        }
    }

    @Test
    void repliesFollowSpringHeadersAndFiltersApply() throws Exception {
        page("mine", TestPages.png(1), headers("tenant", "acme", "metadata", "{\"title\": \"Mine\"}"));
        page("theirs", TestPages.png(2), headers("tenant", "other"));
        drain(2);

        RecordHeaders spring = new RecordHeaders();
        spring.add(ReplyRoute.SPRING_CORRELATION_ID, new byte[] {7, 7, 7});
        spring.add(ReplyRoute.SPRING_REPLY_TOPIC, utf8("client.replies"));
        spring.add(ReplyRoute.SPRING_REPLY_PARTITION, ByteBuffer.allocate(4).putInt(0).array());
        queries.pipeInput(new TestRecord<>(utf8("q2"),
                utf8("{\"query\": \"title\", \"filter\": {\"tenant\": \"acme\"}}"), spring));

        TestOutputTopic<byte[], byte[]> clientReplies = queryDriver.createOutputTopic("client.replies",
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TestRecord<byte[], byte[]> reply = clientReplies.readRecord();
        assertThat(replies.isEmpty()).isTrue();
        assertThat(reply.headers().lastHeader(ReplyRoute.SPRING_CORRELATION_ID).value()).containsExactly(7, 7, 7);
        assertThat(reply.headers().lastHeader(ReplyRoute.SMALLRYE_CORRELATION_ID)).isNull();
        assertThat(reply.headers().lastHeader(ReplyRoute.SPRING_REPLY_TOPIC)).isNull();
        JsonNode results = JSON.readTree(reply.value()).get("results");
        assertThat(results).singleElement().satisfies(hit -> {
            assertThat(hit.get("doc_id").asText()).isEqualTo("mine");
            assertThat(hit.get("tenant").asText()).isEqualTo("acme");
            assertThat(hit.get("metadata").get("title").asText()).isEqualTo("Mine");
        });
    }

    @Test
    void badQueriesGetAnErrorReplyOrGoToTheDlqWhenThereIsNoReplyPath() throws Exception {
        RecordHeaders withPath = new RecordHeaders();
        withPath.add(ReplyRoute.SMALLRYE_CORRELATION_ID, utf8("c-bad"));
        queries.pipeInput(new TestRecord<>(utf8("q"), utf8("{\"query\": \"x\", \"top_k\": 0}"), withPath));
        queries.pipeInput(new TestRecord<>(utf8("q"), utf8("{\"query\": \"x\", \"topk\": 3}"), new RecordHeaders()));
        queries.pipeInput(new TestRecord<>(utf8("q"), utf8("{\"query\": \"" + "x".repeat(600) + "\"}"),
                new RecordHeaders()));
        queries.pipeInput(new TestRecord<>(utf8("q"), utf8("{\"query\": "), new RecordHeaders()));
        RecordHeaders badPartition = new RecordHeaders();
        badPartition.add(ReplyRoute.SMALLRYE_CORRELATION_ID, utf8("c-2"));
        badPartition.add(ReplyRoute.SMALLRYE_REPLY_PARTITION, utf8("1"));
        queries.pipeInput(new TestRecord<>(utf8("q"), utf8("{\"query\": \"x\"}"), badPartition));
        queries.pipeInput(new TestRecord<>(utf8("q-ok"), utf8("{\"query\": \"fine\"}"), new RecordHeaders()));

        List<TestRecord<byte[], byte[]>> replied = replies.readRecordsToList();
        assertThat(replied).hasSize(2);
        JsonNode error = JSON.readTree(replied.get(0).value()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("bad_top_k");
        assertThat(error.get("message").asText()).contains("top_k");
        assertThat(header(replied.get(0), ReplyRoute.SMALLRYE_CORRELATION_ID)).isEqualTo("c-bad");
        assertThat(JSON.readTree(replied.get(1).value()).get("results")).isEmpty(); // good query, empty store

        List<String> dlqReasons = queriesDlq.readRecordsToList().stream()
                .map(r -> header(r, DeadLetters.REASON)).toList();
        assertThat(dlqReasons).containsExactly("unknown_field", "oversize", "bad_json", "bad_reply_header");
    }
}
