package pagestream.stream;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
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
import pagestream.store.PagePoint;
import pagestream.store.PointIds;
import pagestream.store.SearchFilter;
import pagestream.store.embedded.EmbeddedMultiVectorStore;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static pagestream.stream.StreamTestSupport.await;

/** The batching processor alone, on a MockProcessorContext whose wall-clock punctuator is fired by hand. */
class PageBatchProcessorTest {

    private static final Duration MAX_WAIT = Duration.ofMillis(500);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private final ColPaliModel model = TinyModel.get();
    private EmbeddingExecutor executor;
    private EmbeddedMultiVectorStore store;
    private MockProcessorContext<byte[], byte[]> context;
    private KeyValueStore<Long, BufferedPage> buffer;
    private PageBatchProcessor processor;

    @BeforeEach
    void setUp() {
        executor = new EmbeddingExecutor(model, 2, 16);
        store = EmbeddedMultiVectorStore.open(tmp.resolve("store"));
        store.ensureCollection(model.embeddingDim());
        context = new MockProcessorContext<>(new Properties(), new TaskId(0, 0), tmp.resolve("state").toFile());
        context.setCurrentSystemTimeMs(1_000_000);
        context.setRecordMetadata("pagestream.pages", 0, 0);
        // MockProcessorContext has no changelog: the same store with logging off.
        buffer = PageStreamTopology.pageBuffer().withLoggingDisabled().build();
        buffer.init(context.getStateStoreContext(), buffer);
        context.addStateStore(buffer);
    }

    @AfterEach
    void tearDown() {
        if (processor != null) {
            processor.close();
        }
        buffer.close();
        executor.close();
        store.close();
    }

    private void start(int maxSize) {
        start(maxSize, StreamTestSupport.config(Map.of()).retry());
    }

    private void start(int maxSize, PageStreamConfig.Retry retry) {
        processor = new PageBatchProcessor(new PageEventDecoder(1 << 20, 10_000_000, 10, model.imageSize()),
                executor, store, PageStreamTopology.PAGE_BUFFER_STORE, PageStreamTopology.PAGES_DLQ_SINK,
                maxSize, MAX_WAIT, retry);
        processor.init(context);
    }

    private void send(String docId, byte[] value, String... headers) {
        RecordHeaders recordHeaders = new RecordHeaders();
        for (int i = 0; i < headers.length; i += 2) {
            recordHeaders.add(headers[i], headers[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        processor.process(new Record<>(docId.getBytes(StandardCharsets.UTF_8), value,
                context.currentSystemTimeMs(), recordHeaders));
    }

    private void tick(Duration after) {
        context.setCurrentSystemTimeMs(context.currentSystemTimeMs() + after.toMillis());
        List<MockProcessorContext.CapturedPunctuator> punctuators = context.scheduledPunctuators();
        MockProcessorContext.CapturedPunctuator punctuator = punctuators.get(punctuators.size() - 1); // the live processor's
        assertThat(punctuator.getType()).isEqualTo(PunctuationType.WALL_CLOCK_TIME);
        punctuator.getPunctuator().punctuate(context.currentSystemTimeMs());
    }

    private long bufferEntries() {
        try (var all = buffer.all()) {
            long n = 0;
            while (all.hasNext()) {
                all.next();
                n++;
            }
            return n;
        }
    }

    private void awaitFlushDone() {
        processor.inFlightFlush().ifPresent(flush -> await("the flush", TIMEOUT, flush::isDone));
    }

    @Test
    void flushesWhenMaxSizePagesWait() {
        start(3);
        send("a", TestPages.png(1));
        send("b", TestPages.png(2));
        assertThat(processor.inFlightFlush()).isEmpty();
        assertThat(bufferEntries()).isEqualTo(2);

        send("c", TestPages.jpeg(3)); // the third page reaches max-size: flush from process()
        assertThat(processor.inFlightFlush()).isPresent();
        awaitFlushDone();
        // Upserted, but the buffer entries are deleted only when the processor sees the flush completed.
        assertThat(store.count(SearchFilter.any())).isEqualTo(3);
        assertThat(bufferEntries()).isEqualTo(3);
        tick(Duration.ofMillis(10));
        assertThat(bufferEntries()).isZero();
        assertThat(processor.buffered()).isZero();

        // What the store holds is exactly what the model gives for the same page, with the payload.
        PagePoint point = store.get(PointIds.of("a", 1)).orElseThrow();
        MultiVector direct = model.embedImages(List.of(BicubicResizer.resize(
                new ImageDecoder(10_000_000).decode(TestPages.png(1)), model.imageSize(), model.imageSize()))).get(0);
        assertThat(point.vectors().rows()).isEqualTo(direct.rows());
        assertThat(point.vectors().data()).containsExactly(direct.data(),
                org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(point.modelId()).isEqualTo(model.id());
        assertThat(point.contentSha256()).isEqualTo(PageEventDecoder.sha256(TestPages.png(1)));
        assertThat(point.ingestedAt()).isNotNull();
    }

    @Test
    void flushesFromThePunctuatorWhenTheOldestPageWaitedMaxWait() {
        start(100);
        send("a", TestPages.png(1), "tenant", "acme", "metadata", "{\"k\": 1}");
        tick(Duration.ofMillis(200));
        send("b", TestPages.png(2));
        tick(Duration.ofMillis(200)); // oldest waited 400 ms < 500 ms
        assertThat(processor.inFlightFlush()).isEmpty();

        tick(Duration.ofMillis(100)); // oldest waited 500 ms: both pages go
        assertThat(processor.inFlightFlush()).isPresent();
        awaitFlushDone();
        tick(Duration.ofMillis(10));
        assertThat(bufferEntries()).isZero();
        assertThat(store.count(SearchFilter.any())).isEqualTo(2);
        PagePoint a = store.get(PointIds.of("acme", "a", 1)).orElseThrow();
        assertThat(a.tenant()).isEqualTo("acme");
        assertThat(a.metadataJson()).isEqualTo("{\"k\":1}");
    }

    @Test
    void restoredBufferIsFlushedAfterARestart() {
        start(100);
        send("a", TestPages.png(1));
        send("b", TestPages.png(2));
        processor.close(); // "crash" before max-wait: the pages exist only in the buffer
        processor = null;
        assertThat(store.count(SearchFilter.any())).isZero();

        context.resetForwards();
        start(100); // a new instance on the same store, as after a restore from the changelog
        assertThat(processor.buffered()).isEqualTo(2);
        tick(MAX_WAIT);
        awaitFlushDone();
        tick(Duration.ofMillis(10));
        assertThat(store.count(SearchFilter.any())).isEqualTo(2);
        assertThat(bufferEntries()).isZero();
    }

    @Test
    void badEventsGoToTheDeadLetterChildAndGoodOnesAroundThemAreBuffered() {
        start(100);
        send("a", TestPages.png(1));
        send("bad", new byte[] {1, 2, 3});
        send("b", TestPages.png(2));
        assertThat(context.forwarded()).singleElement().satisfies(forward -> {
            assertThat(forward.childName()).hasValue(PageStreamTopology.PAGES_DLQ_SINK);
            assertThat(new String(forward.record().headers().lastHeader(DeadLetters.REASON).value(),
                    StandardCharsets.UTF_8)).isEqualTo("unsupported_content_type");
            assertThat(forward.record().value()).containsExactly(1, 2, 3);
        });
        assertThat(bufferEntries()).isEqualTo(2);
    }

    @Test
    void tombstoneWaitsForTheInFlightFlushThenDeletesTheDocument() {
        start(2);
        send("doc", TestPages.png(1), "page", "1");
        send("doc", TestPages.png(2), "page", "2"); // flush in flight
        send("doc", TestPages.png(3), "page", "3"); // buffered behind it
        processor.process(new Record<>("doc".getBytes(StandardCharsets.UTF_8), null, 0L));
        assertThat(store.count(new SearchFilter(null, "doc"))).isZero();
        assertThat(bufferEntries()).isZero();
        assertThat(processor.buffered()).isZero();
    }

    @Test
    void whileTheStoreFailsAFullBufferHoldsTheThreadForMaxBlockThenEverythingIsFlushedOnceItWorks() throws Exception {
        Path log = tmp.resolve("store").resolve("store.log");
        // An immutable log refuses writes through the open file (EPERM), root included; needs ext4/xfs/btrfs.
        assumeTrue(chattr("+i", log) == 0, "chattr +i needs root and a file system with attributes");
        try {
            start(1, StreamTestSupport.config(Map.of("pagestream.retry.initial-backoff", "PT0.05S",
                    "pagestream.retry.max-backoff", "PT0.2S", "pagestream.retry.max-block", "PT1.5S")).retry());
            send("a", TestPages.png(1));
            send("b", TestPages.png(2));
            send("c", TestPages.png(3));
            long started = System.nanoTime();
            assertThatThrownBy(() -> send("d", TestPages.png(4))) // the fourth page fills the buffer: 4 x max-size
                    .isInstanceOf(IngestionStalledException.class)
                    .hasMessageContaining("4 pages buffered (bound 4) for PT1.5S")
                    .hasMessageContaining("Operation not permitted");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(1_400),
                    Duration.ofSeconds(20));
            assertThat(bufferEntries()).as("nothing dropped").isEqualTo(4);
            assertThat(store.count(SearchFilter.any())).isZero();
            assertThat(store.isReachable()).isFalse();
        } finally {
            chattr("-i", log);
        }
        await("the buffer flushed once the log is writable again", TIMEOUT, () -> {
            awaitFlushDone();
            tick(Duration.ofMillis(250));
            return bufferEntries() == 0;
        });
        assertThat(store.count(SearchFilter.any())).isEqualTo(4);
        assertThat(store.isReachable()).isTrue();
        assertThat(context.forwarded()).as("dead letters").isEmpty();
    }

    @Test
    void aPdfLargerThanTheBufferBoundDrainsThroughAWorkingStoreWithoutAborting() {
        // 9 pages at once, twice the bound of 4, flushed one by one: max-block covers one flush, maybe not all.
        start(1, StreamTestSupport.config(Map.of("pagestream.retry.max-block", "PT1S")).retry());
        send("report", TestPages.pdf(9));
        assertThat(store.count(SearchFilter.any())).as("stored while holding").isPositive();
        await("the rest flushed", TIMEOUT, () -> {
            awaitFlushDone();
            tick(MAX_WAIT);
            return bufferEntries() == 0;
        });
        assertThat(store.count(new SearchFilter(null, "report"))).isEqualTo(9);
        assertThat(context.forwarded()).as("dead letters").isEmpty();
    }

    @Test
    void aTombstoneWhoseDeleteKeepsFailingAbortsAfterMaxBlockAndDeletesWhenProcessedAgain() throws Exception {
        start(1, StreamTestSupport.config(Map.of("pagestream.retry.initial-backoff", "PT0.05S",
                "pagestream.retry.max-backoff", "PT0.2S", "pagestream.retry.max-block", "PT1S")).retry());
        send("doc", TestPages.png(1));
        awaitFlushDone();
        tick(Duration.ofMillis(10));
        assertThat(store.count(new SearchFilter(null, "doc"))).isEqualTo(1);
        Path log = tmp.resolve("store").resolve("store.log");
        assumeTrue(chattr("+i", log) == 0, "chattr +i needs root and a file system with attributes");
        Record<byte[], byte[]> tombstone = new Record<>("doc".getBytes(StandardCharsets.UTF_8), null, 0L);
        try {
            assertThatThrownBy(() -> processor.process(tombstone))
                    .isInstanceOf(IngestionStalledException.class)
                    .hasMessageContaining("tombstone for document doc: the delete still fails")
                    .hasMessageContaining("Operation not permitted");
            assertThat(store.count(new SearchFilter(null, "doc"))).isEqualTo(1);
        } finally {
            chattr("-i", log);
        }
        processor.process(tombstone); // as after the thread is replaced: the uncommitted tombstone comes again
        assertThat(store.count(new SearchFilter(null, "doc"))).isZero();
    }

    private static int chattr(String flag, Path file) throws InterruptedException {
        try {
            return new ProcessBuilder("chattr", flag, file.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (java.io.IOException e) {
            return -1; // no chattr on this machine
        }
    }
}
