package pagestream.stream;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.embed.EmbeddingExecutor;
import pagestream.store.embedded.EmbeddedMultiVectorStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The query processor alone: where each reply is routed (SmallRye headers here; Spring in the e2e test). */
class QueryProcessorTest {

    @TempDir
    Path tmp;

    private EmbeddingExecutor executor;
    private EmbeddedMultiVectorStore store;
    private MockProcessorContext<byte[], RoutedValue> context;
    private QueryProcessor processor;
    private final List<Duration> replyLatencies = new ArrayList<>();

    @BeforeEach
    void setUp() {
        executor = new EmbeddingExecutor(TinyModel.get(), 2, 16);
        store = EmbeddedMultiVectorStore.open(tmp);
        store.ensureCollection(TinyModel.get().embeddingDim());
        context = new MockProcessorContext<>();
        context.setCurrentSystemTimeMs(1_000);
        processor = new QueryProcessor(new QueryEventCodec(1024, 10),
                new QueryTokenLimit(TinyModel.get().processor(), 64), executor, store, "pagestream.replies",
                "pagestream.queries.dlq", PageStreamTopology.REPLIES_SINK, PageStreamTopology.QUERIES_DLQ_SINK,
                Duration.ofSeconds(60), replyLatencies::add, QueryAuthorizer.NONE);
        processor.init(context);
    }

    @AfterEach
    void tearDown() {
        executor.close();
        store.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void smallRyeReplyTopicAndPartitionAreHonoured() {
        RecordHeaders headers = new RecordHeaders();
        headers.add(ReplyRoute.SMALLRYE_CORRELATION_ID, utf8("corr-9"));
        headers.add(ReplyRoute.SMALLRYE_REPLY_TOPIC, utf8("search-replies"));
        headers.add(ReplyRoute.SMALLRYE_REPLY_PARTITION, ByteBuffer.allocate(4).putInt(1).array());
        processor.process(new Record<>(utf8("k"), utf8("{\"query\": \"hello\"}"), 0L, headers));

        assertThat(context.forwarded()).singleElement().satisfies(forward -> {
            assertThat(forward.childName()).hasValue(PageStreamTopology.REPLIES_SINK);
            RoutedValue reply = forward.record().value();
            assertThat(reply.topic()).isEqualTo("search-replies");
            assertThat(reply.partition()).hasValue(1);
            assertThat(new String(reply.bytes(), StandardCharsets.UTF_8)).startsWith("{\"query\":\"hello\",\"results\":[]");
            assertThat(forward.record().key()).isEqualTo(utf8("k"));
            assertThat(forward.record().headers().toArray()).hasSize(1);
            assertThat(forward.record().headers().lastHeader(ReplyRoute.SMALLRYE_CORRELATION_ID).value())
                    .isEqualTo(utf8("corr-9"));
        });
    }

    @Test
    void withoutReplyHeadersTheDefaultTopicAndAnyPartitionAreUsed() {
        processor.process(new Record<>(utf8("k"), utf8("{\"query\": \"hello\", \"top_k\": 1}"), 0L));
        RoutedValue reply = context.forwarded().get(0).record().value();
        assertThat(reply.topic()).isEqualTo("pagestream.replies");
        assertThat(reply.partition()).isEmpty();
    }

    @Test
    void aQueryOverTheTokenLimitIsRefusedBeforeTheModel() {
        // fuzzing found it: a query within the 64 KiB byte limit can be ~40,000 tokens; tiny-a asked PyTorch for
        // 25 GB of attention scores for one, and the real model would be busy with it for minutes
        String text = "revenue ".repeat(100); // 800 bytes: under the 1024-byte limit, over 64 tokens
        RecordHeaders headers = new RecordHeaders();
        headers.add(ReplyRoute.SMALLRYE_CORRELATION_ID, utf8("corr-long"));
        long embeddedBefore = executor.stats().queries();

        processor.process(new Record<>(utf8("k"), utf8("{\"query\": \"" + text + "\"}"), 0L, headers));

        assertThat(context.forwarded()).singleElement().satisfies(forward -> {
            assertThat(forward.childName()).hasValue(PageStreamTopology.REPLIES_SINK);
            assertThat(new String(forward.record().value().bytes(), StandardCharsets.UTF_8))
                    .contains("\"code\":\"oversize\"")
                    .contains("over the limit of 64 (pagestream.limits.max-query-tokens)");
        });
        assertThat(executor.stats().queries()).as("nothing embedded").isEqualTo(embeddedBefore);
        assertThat(new QueryTokenLimit(TinyModel.get().processor(), 64).check("revenue by quarter")).isEmpty();
    }

    @Test
    void theCallerIsCheckedBeforeTheQueryIsParsedOrEmbedded() {
        QueryAuthorizer acmeOnly = headers -> headers.lastHeader(QueryAuthorizer.AUTHORIZATION_HEADER) == null
                ? QueryAuthorizer.Authentication.refused(new Rejection(Rejection.UNAUTHENTICATED, "no credential"))
                : QueryAuthorizer.Authentication.of(Caller.boundTo("acme"));
        QueryProcessor guarded = new QueryProcessor(new QueryEventCodec(1024, 10),
                new QueryTokenLimit(TinyModel.get().processor(), 64), executor, store, "pagestream.replies",
                "pagestream.queries.dlq", PageStreamTopology.REPLIES_SINK, PageStreamTopology.QUERIES_DLQ_SINK,
                Duration.ofSeconds(60), replyLatencies::add, acmeOnly);
        guarded.init(context);
        long embeddedBefore = executor.stats().queries();
        RecordHeaders anonymous = new RecordHeaders();
        anonymous.add(ReplyRoute.SMALLRYE_CORRELATION_ID, utf8("corr-anon"));
        RecordHeaders acme = new RecordHeaders();
        acme.add(ReplyRoute.SMALLRYE_CORRELATION_ID, utf8("corr-acme"));
        acme.add(QueryAuthorizer.AUTHORIZATION_HEADER, utf8("Bearer whatever"));

        guarded.process(new Record<>(utf8("k"), utf8("{not json"), 0L, anonymous));
        String globex = "{\"query\": \"q\", \"filter\": {\"tenant\": \"globex\"}}";
        guarded.process(new Record<>(utf8("k"), utf8(globex), 0L, acme));
        guarded.process(new Record<>(utf8("k"), utf8("{\"query\": \"q\"}"), 0L)); // no reply path

        assertThat(context.forwarded()).extracting(forward -> new String(forward.record().value().bytes(),
                StandardCharsets.UTF_8)).satisfiesExactly(
                        reply -> assertThat(reply).contains("\"code\":\"unauthenticated\""),
                        reply -> assertThat(reply).contains("\"code\":\"forbidden\"").contains("globex"),
                        dead -> assertThat(dead).isEqualTo("{\"query\": \"q\"}"));
        assertThat(new String(context.forwarded().get(2).record().headers().lastHeader(DeadLetters.REASON).value(),
                StandardCharsets.UTF_8)).isEqualTo(Rejection.UNAUTHENTICATED);
        assertThat(executor.stats().queries()).as("nothing embedded").isEqualTo(embeddedBefore);
    }

    @Test
    void eachReplyReportsItsLatencyFromTheRequestTimestamp() {
        long requestedAt = System.currentTimeMillis() - 250;
        processor.process(new Record<>(utf8("k"), utf8("{\"query\": \"hello\"}"), requestedAt));
        // A bad query with no reply path is dead-lettered, not answered: no latency for it.
        processor.process(new Record<>(utf8("k"), utf8("{\"top_k\": 1}"), requestedAt));

        assertThat(context.forwarded()).extracting(forward -> forward.childName().orElseThrow())
                .containsExactly(PageStreamTopology.REPLIES_SINK, PageStreamTopology.QUERIES_DLQ_SINK);
        assertThat(replyLatencies).singleElement().satisfies(latency ->
                assertThat(latency).isBetween(Duration.ofMillis(250), Duration.ofSeconds(60)));
    }
}
