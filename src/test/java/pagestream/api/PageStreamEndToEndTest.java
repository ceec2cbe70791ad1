package pagestream.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.smallrye.reactive.messaging.kafka.reply.KafkaRequestReply;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import pagestream.model.MultiVector;
import pagestream.model.processor.ImageDecoder;
import pagestream.model.processor.PdfRenderer;
import pagestream.model.processor.RgbImage;
import pagestream.store.MultiVectorStore;
import pagestream.store.PointIds;
import pagestream.store.SearchFilter;
import pagestream.stream.DeadLetters;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.containsString;

/**
 * The whole service on a real (embedded) broker: page events in through a plain producer, queries through SmallRye's
 * {@code KafkaRequestReply}, Spring-style headers and {@code POST /search}; replies checked against MaxSim of
 * embeddings the tiny model computes directly for the same pages and query.
 */
@QuarkusTest
@Tag("quarkus")
@TestProfile(EmbeddedServiceProfile.class)
class PageStreamEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final long MAX_PIXELS = 89_478_485L;
    private static final String QUERY = "quarterly revenue report";

    private static KafkaProducer<String, byte[]> producer;
    private static TestModel directModel;

    @Inject
    @Channel("search")
    KafkaRequestReply<String, String> requestReply;

    @Inject
    MultiVectorStore store;

    @BeforeAll
    static void connect() {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20,
                ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer());
        directModel = TestModel.load(EmbeddedServiceProfile.MODEL_DIR);
    }

    @AfterAll
    static void disconnect() {
        producer.close();
        directModel.close();
    }

    @Test
    void pngJpegAndPdfPagesAreAnsweredWithTheModelsOwnScoresThroughEveryClient() throws Exception {
        String tenant = "scores";
        byte[] png = TestPages.png();
        byte[] jpeg = TestPages.jpeg();
        byte[] pdf = TestPages.pdf();
        send(page("doc-png", png, tenant, Map.of("content-type", "image/png", "page", "3")));
        send(page("doc-jpeg", jpeg, tenant, Map.of())); // content type sniffed
        send(page("doc-pdf", pdf, tenant, Map.of("content-type", "application/pdf")));
        awaitCount(tenant, 4);

        // Expected: the model run directly on the same decoded pages, scored with MaxSim in double.
        ImageDecoder decoder = new ImageDecoder(MAX_PIXELS);
        List<RgbImage> pdfPages = new PdfRenderer(PdfRenderer.DEFAULT_DPI, 500, MAX_PIXELS, Duration.ofMinutes(1)).render(pdf);
        Map<String, MultiVector> pages = new HashMap<>();
        pages.put("doc-png/3", directModel.embedImage(decoder.decode(png)));
        pages.put("doc-jpeg/1", directModel.embedImage(decoder.decode(jpeg)));
        pages.put("doc-pdf/1", directModel.embedImage(pdfPages.get(0)));
        pages.put("doc-pdf/2", directModel.embedImage(pdfPages.get(1)));
        MultiVector query = directModel.embedQuery(QUERY);
        Map<String, Double> expected = new HashMap<>();
        pages.forEach((key, page) -> expected.put(key, MaxSim.score(query, page)));
        List<String> expectedRanking = expected.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).map(Map.Entry::getKey).toList();

        String request = "{\"query\": \"" + QUERY + "\", \"top_k\": 10, \"filter\": {\"tenant\": \"" + tenant + "\"}}";

        requestReply.waitForAssignments().await().atMost(WAIT);
        JsonNode viaSmallRye = JSON.readTree(requestReply.request(request).await().atMost(WAIT));
        JsonNode viaSpring = JSON.readTree(springRequest(request));
        JsonNode viaHttp = JSON.readTree(RestAssured.given().body(request).post("/search")
                .then().statusCode(200).extract().asByteArray());

        for (JsonNode reply : List.of(viaSmallRye, viaSpring, viaHttp)) {
            assertThat(reply.get("query").asText()).isEqualTo(QUERY);
            List<String> ranking = new ArrayList<>();
            for (JsonNode hit : reply.get("results")) {
                String key = hit.get("doc_id").asText() + "/" + hit.get("page").asInt();
                ranking.add(key);
                assertThat(hit.get("tenant").asText()).isEqualTo(tenant);
                assertThat(hit.get("score").asDouble()).as(key).isCloseTo(expected.get(key), within(1e-4));
            }
            assertThat(ranking).isEqualTo(expectedRanking);
        }
    }

    @Test
    void samePageTwiceIsOnePointWithTheLatestPayloadAndATombstoneDeletesTheDocument() {
        String tenant = "dedup";
        send(page("doc-twice", TestPages.otherPng(), tenant, Map.of("metadata", "{\"version\": 1}")));
        send(page("doc-twice", TestPages.otherPng(), tenant, Map.of("metadata", "{\"version\": 2}")));
        UUID id = PointIds.of(tenant, "doc-twice", 1);
        await("second version stored", () -> store.get(id)
                .map(p -> p.metadataJson() != null && p.metadataJson().contains("2")).orElse(false));
        assertThat(store.count(SearchFilter.tenant(tenant))).isEqualTo(1);

        ProducerRecord<String, byte[]> tombstone = new ProducerRecord<>("pagestream.pages", "doc-twice", null);
        tombstone.headers().add("tenant", tenant.getBytes(StandardCharsets.UTF_8));
        send(tombstone);
        await("document deleted", () -> store.count(SearchFilter.tenant(tenant)) == 0);
    }

    @Test
    void badInputsLandInTheDeadLetterTopicsWithTheirReasonWhileGoodOnesGoThrough() throws Exception {
        String tenant = "dlq";
        byte[] garbage = "this is not an image".getBytes(StandardCharsets.UTF_8);
        byte[] truncatedPng = java.util.Arrays.copyOf(TestPages.png(), 400);
        send(page("bad-garbage", garbage, tenant, Map.of()));
        send(page("good-between", TestPages.png(), tenant, Map.of()));
        send(page("bad-truncated", truncatedPng, tenant, Map.of("content-type", "image/png")));
        send(page("bad-empty", new byte[0], tenant, Map.of()));
        send(new ProducerRecord<>("pagestream.queries", "q-bad", "{\"query\": 42}".getBytes(StandardCharsets.UTF_8)));

        Map<String, String> reasons = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer("dlq-reader")) {
            consumer.subscribe(List.of("pagestream.pages.dlq", "pagestream.queries.dlq"));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (reasons.size() < 4 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Header reason = record.headers().lastHeader(DeadLetters.REASON);
                    reasons.put(record.key(), reason == null ? null : new String(reason.value(), StandardCharsets.UTF_8));
                }
            }
        }
        assertThat(reasons).containsEntry("bad-garbage", "unsupported_content_type")
                .containsEntry("bad-empty", "empty_value")
                .containsEntry("q-bad", "wrong_type")
                .containsKey("bad-truncated");
        assertThat(reasons.get("bad-truncated")).isNotBlank();
        await("good page stored", () -> store.count(SearchFilter.tenant(tenant)) == 1);
        assertThat(store.get(PointIds.of(tenant, "good-between", 1))).isPresent();

        String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("pagestream_dlq_total{", "reason=\"unsupported_content_type\"");
    }

    @Test
    void httpSearchRefusesABadQueryWithTheReplyErrorBody() {
        RestAssured.given().body("{\"query\": \"\"}").post("/search")
                .then().statusCode(400).body("error.code", equalTo("empty_query"));
        RestAssured.given().body("{\"query\": \"x\", \"top_k\": 0}").post("/search")
                .then().statusCode(400).body("error.code", equalTo("bad_top_k"))
                .body("error.message", containsString("top_k"));
        RestAssured.given().body("x".repeat(70_000)).post("/search").then().statusCode(413);
    }

    @Test
    void readyWithNamedChecksAndMetricsExported() {
        await("ready", () -> RestAssured.get("/q/health/ready").statusCode() == 200);
        RestAssured.get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'kafka-streams' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'model' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'vector-store' }.status", equalTo("UP"));
        RestAssured.get("/q/health/live").then().statusCode(200);
        RestAssured.get("/q/health/started").then().statusCode(200);
        send(page("metrics-page", TestPages.png(), "metrics", Map.of()));
        await("page stored", () -> store.count(SearchFilter.tenant("metrics")) == 1);
        String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("pagestream_pages_ingested_total", "pagestream_queue_depth{queue=\"page-buffer\"}",
                "pagestream_embedded_total{", "pagestream_embed_calls_total{",
                "pagestream_embed_seconds_sum{kind=\"pages\"}", "pagestream_embed_seconds_bucket{kind=\"pages\",le=",
                "pagestream_embed_batch_size_bucket{kind=\"pages\",le=\"1.0\"}",
                "pagestream_embed_page_pauses_total", "pagestream_embed_page_paused_seconds_total");
    }

    // --- helpers -------------------------------------------------------------------------------------------

    private static String bootstrap() {
        return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    }

    private static ProducerRecord<String, byte[]> page(String docId, byte[] value, String tenant,
            Map<String, String> headers) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>("pagestream.pages", docId, value);
        record.headers().add("tenant", tenant.getBytes(StandardCharsets.UTF_8));
        headers.forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
        return record;
    }

    private static void send(ProducerRecord<String, byte[]> record) {
        try {
            producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("could not publish to " + record.topic(), e);
        }
    }

    private void awaitCount(String tenant, long count) {
        await(count + " pages of " + tenant, () -> store.count(SearchFilter.tenant(tenant)) == count);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(String group) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** A query as Spring's ReplyingKafkaTemplate sends it: its own reply topic and a correlation id. */
    private static String springRequest(String request) throws Exception {
        String replyTopic = "spring.replies";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()))) {
            if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(replyTopic)) {
                admin.createTopics(List.of(new NewTopic(replyTopic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
        }
        byte[] correlation = ByteBuffer.allocate(16).putLong(42L).putLong(7L).array();
        try (KafkaConsumer<String, byte[]> consumer = consumer("spring-client")) {
            consumer.subscribe(List.of(replyTopic));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (consumer.assignment().isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(100));
            }
            ProducerRecord<String, byte[]> record = new ProducerRecord<>("pagestream.queries", "spring-q",
                    request.getBytes(StandardCharsets.UTF_8));
            record.headers().add("kafka_replyTopic", replyTopic.getBytes(StandardCharsets.UTF_8));
            record.headers().add("kafka_correlationId", correlation);
            send(record);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> reply : consumer.poll(Duration.ofMillis(200))) {
                    Header header = reply.headers().lastHeader("kafka_correlationId");
                    if (header != null && java.util.Arrays.equals(header.value(), correlation)) {
                        return new String(reply.value(), StandardCharsets.UTF_8);
                    }
                }
            }
        }
        throw new AssertionError("no reply on " + replyTopic + " within " + WAIT);
    }
}
