package pagestream.stream;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.jboss.logging.Logger;
import pagestream.embed.EmbeddingExecutor;
import pagestream.model.MultiVector;
import pagestream.model.processor.RgbImage;
import pagestream.store.MultiVectorStore;
import pagestream.store.PagePoint;
import pagestream.store.PointIds;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Ingests page events in micro-batches. Each event is decoded and validated here (failures go to the DLQ child),
 * then its pages are put in a changelogged key-value store, the buffer, keyed by an arrival sequence number (so
 * the first entry is the oldest). {@link #flush(long)} embeds the oldest pages on the {@link EmbeddingExecutor}
 * and upserts them into the {@link MultiVectorStore}; it is triggered from {@link #process} when
 * {@code maxSize} pages wait, and from a wall-clock punctuator when the oldest has waited {@code maxWait}.
 *
 * <p>Durability: with {@code exactly_once_v2} an event's input offset commits in the same transaction as its
 * buffer (changelog) writes or its DLQ record. Buffer entries are deleted only after {@code upsert} returned, so
 * a crash at any point leaves every page either in the store or in the restored buffer, which is flushed again
 * (point ids are deterministic, so that is idempotent).
 *
 * <p>The stream thread never waits for the model in the normal flow: one flush per task is in flight at a time,
 * completed (buffer entries deleted) by the next {@code process} or punctuation. It waits only for backpressure
 * (when {@code 4 * maxSize} pages are buffered), before a tombstone, and on close.
 */
public final class PageBatchProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    private static final Logger LOG = Logger.getLogger(PageBatchProcessor.class);
    private static final Duration RETRY_BACKOFF = Duration.ofSeconds(1);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(60);
    /** Longest the stream thread waits for a flush; below the transaction timeout and max.poll.interval.ms. */
    static final Duration MAX_BLOCK = Duration.ofMinutes(2);

    private final PageEventDecoder decoder;
    private final EmbeddingExecutor executor;
    private final MultiVectorStore store;
    private final String bufferStoreName;
    private final String deadLetterChild;
    private final int maxSize;
    private final Duration maxWait;

    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<Long, BufferedPage> buffer;
    private ExecutorService upserter;
    private long nextSequence;
    /** Buffered pages not part of {@link #inFlight}. */
    private int pending;
    private InFlight inFlight;
    private long retryNotBeforeMs;

    /** The flush running on the executor: the buffer entries it covers (the oldest ones) and its completion. */
    private record InFlight(List<Long> sequences, CompletableFuture<Void> upserted) {
    }

    public PageBatchProcessor(PageEventDecoder decoder, EmbeddingExecutor executor, MultiVectorStore store,
            String bufferStoreName, String deadLetterChild, int maxSize, Duration maxWait) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("pagestream.batch.max-size must be >= 1, got " + maxSize);
        }
        this.decoder = decoder;
        this.executor = executor;
        this.store = store;
        this.bufferStoreName = bufferStoreName;
        this.deadLetterChild = deadLetterChild;
        this.maxSize = maxSize;
        this.maxWait = maxWait;
    }

    /** How often the punctuator checks the oldest page's age: a fifth of max-wait, between 10 ms and 100 ms. */
    static Duration punctuationInterval(Duration maxWait) {
        long ms = Math.max(10, Math.min(100, maxWait.toMillis() / 5));
        return Duration.ofMillis(ms);
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.buffer = context.getStateStore(bufferStoreName);
        this.upserter = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pagestream-upsert-" + context.taskId());
            thread.setDaemon(true);
            return thread;
        });
        // After a restart the buffer holds what the changelog restored: continue its sequence, flush it soon.
        try (KeyValueIterator<Long, BufferedPage> last = buffer.reverseAll()) {
            nextSequence = last.hasNext() ? last.next().key + 1 : 0;
        }
        try (KeyValueIterator<Long, BufferedPage> all = buffer.all()) {
            all.forEachRemaining(entry -> pending++);
        }
        if (pending > 0) {
            LOG.infof("task %s: %d buffered pages restored, flushing them", context.taskId(), pending);
        }
        context.schedule(punctuationInterval(maxWait), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        long now = context.currentSystemTimeMs();
        completeFlush(now);
        if (record.value() == null) {
            delete(record, now);
            return;
        }
        PageEventDecoder.Result decoded = decoder.decode(record.key(), record.value(), record.headers());
        if (decoded.rejection().isPresent()) {
            deadLetter(record, decoded.rejection().get());
            return;
        }
        for (DecodedPage page : decoded.pages()) {
            buffer.put(nextSequence++, new BufferedPage(page, now));
            pending++;
        }
        if (pending >= maxSize) {
            flush(now);
        }
        // Backpressure: the model is slower than the input; hold the stream thread rather than grow the buffer.
        while (pending >= 4 * maxSize && inFlight != null) {
            if (!awaitFlush(MAX_BLOCK)) {
                break; // still running: let the thread commit and poll (and stay in the group) meanwhile
            }
            completeFlush(now);
            flush(now);
        }
    }

    /** The latency cap: flushes when the oldest waiting page has waited {@code maxWait}. */
    void punctuate(long now) {
        completeFlush(now);
        if (inFlight != null || pending == 0) {
            return;
        }
        if (pending >= maxSize || oldestBufferedAt() + maxWait.toMillis() <= now) {
            flush(now);
        }
    }

    /**
     * Starts embedding + upserting the oldest {@code maxSize} buffered pages, unless a flush is already in flight
     * (one at a time keeps a document's upserts in arrival order) or a failed flush is backing off.
     */
    void flush(long now) {
        if (inFlight != null || pending == 0 || now < retryNotBeforeMs) {
            return;
        }
        List<Long> sequences = new ArrayList<>(maxSize);
        // The same page twice in one batch: the later event wins, the earlier is dropped with it.
        Map<UUID, DecodedPage> latest = new LinkedHashMap<>();
        try (KeyValueIterator<Long, BufferedPage> oldest = buffer.all()) {
            while (oldest.hasNext() && sequences.size() < maxSize) {
                KeyValue<Long, BufferedPage> entry = oldest.next();
                DecodedPage page = entry.value.page();
                sequences.add(entry.key);
                UUID id = PointIds.of(page.tenant(), page.docId(), page.page());
                latest.remove(id);
                latest.put(id, page);
            }
        }
        List<DecodedPage> pages = List.copyOf(latest.values());
        List<RgbImage> images = pages.stream().map(DecodedPage::image).toList();
        String modelId = executor.model().id();
        CompletableFuture<Void> upserted = executor.embedPages(images)
                .thenAcceptAsync(vectors -> store.upsert(points(pages, vectors, modelId)), upserter);
        inFlight = new InFlight(sequences, upserted);
        pending -= sequences.size();
        LOG.debugf("task %s: flushing %d pages (%d distinct), %d still buffered", context.taskId(),
                sequences.size(), pages.size(), pending);
    }

    private static List<PagePoint> points(List<DecodedPage> pages, List<MultiVector> vectors, String modelId) {
        Instant ingestedAt = Instant.now();
        List<PagePoint> points = new ArrayList<>(pages.size());
        for (int i = 0; i < pages.size(); i++) {
            DecodedPage page = pages.get(i);
            points.add(PagePoint.of(page.tenant(), page.docId(), page.page(), page.metadataJson(),
                    page.contentSha256(), modelId, ingestedAt, vectors.get(i)));
        }
        return points;
    }

    /** If the in-flight flush has finished: on success its pages leave the buffer, on failure they wait again. */
    private void completeFlush(long now) {
        if (inFlight == null || !inFlight.upserted().isDone()) {
            return;
        }
        InFlight done = inFlight;
        inFlight = null;
        try {
            done.upserted().join();
            done.sequences().forEach(buffer::delete);
        } catch (RuntimeException e) {
            pending += done.sequences().size();
            retryNotBeforeMs = now + RETRY_BACKOFF.toMillis();
            LOG.errorf(e.getCause() != null ? e.getCause() : e,
                    "task %s: flushing %d pages failed; they stay buffered and are retried in %s",
                    context.taskId(), done.sequences().size(), RETRY_BACKOFF);
        }
    }

    /** Waits for the in-flight flush (if any); false when it is still running after {@code timeout}. */
    private boolean awaitFlush(Duration timeout) {
        if (inFlight == null) {
            return true;
        }
        try {
            inFlight.upserted().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            // completeFlush reports it and keeps the pages
        } catch (TimeoutException e) {
            LOG.warnf("task %s: a page flush is still running after %s", context.taskId(), timeout);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return true;
    }

    /**
     * A tombstone deletes the document. The in-flight flush is awaited first so its upsert cannot land after the
     * delete; pages of the document still waiting in the buffer are dropped (flushing them only to delete them
     * would give the same end state at the price of embedding them).
     */
    private void delete(Record<byte[], byte[]> record, long now) {
        if (record.key() == null || record.key().length == 0) {
            deadLetter(record, new Rejection("missing_key", "a tombstone needs the document id as its key"));
            return;
        }
        String docId = new String(record.key(), StandardCharsets.UTF_8);
        Header tenantHeader = record.headers().lastHeader(PageEventDecoder.TENANT_HEADER);
        String tenant = tenantHeader == null || tenantHeader.value() == null ? null
                : new String(tenantHeader.value(), StandardCharsets.UTF_8);
        if (!awaitFlush(MAX_BLOCK)) {
            // Deleting now could let the running upsert land after the delete: abort the transaction instead;
            // the tombstone is processed again when the thread is replaced.
            throw new IllegalStateException("tombstone for document " + docId + ": the page flush before it is still "
                    + "running after " + MAX_BLOCK + "; is the model far slower than pagestream.batch.max-size needs?");
        }
        completeFlush(now);
        List<Long> dropped = new ArrayList<>();
        try (KeyValueIterator<Long, BufferedPage> all = buffer.all()) {
            all.forEachRemaining(entry -> {
                DecodedPage page = entry.value.page();
                if (page.docId().equals(docId) && (tenant == null || tenant.equals(page.tenant()))) {
                    dropped.add(entry.key);
                }
            });
        }
        // If the delete throws, the transaction (these buffer deletes included) is aborted and the tombstone
        // is processed again after the stream thread is replaced.
        store.deleteDocument(docId, tenant);
        dropped.forEach(buffer::delete);
        pending -= dropped.size();
        LOG.debugf("task %s: deleted document %s%s (%d buffered pages dropped)", context.taskId(), docId,
                tenant == null ? "" : " of tenant " + tenant, dropped.size());
    }

    private long oldestBufferedAt() {
        try (KeyValueIterator<Long, BufferedPage> all = buffer.all()) {
            return all.hasNext() ? all.next().value.bufferedAtMs() : Long.MAX_VALUE;
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, Rejection rejection) {
        LOG.debugf("task %s: page event to DLQ: %s (%s)", context.taskId(), rejection.reason(), rejection.message());
        context.forward(DeadLetters.of(record, rejection, context.recordMetadata()), deadLetterChild);
    }

    /**
     * Waits for the in-flight upsert so that it cannot land after the next owner of this task has upserted newer
     * versions of the same pages. Its buffer entries stay; the next owner flushes them again (idempotent).
     */
    @Override
    public void close() {
        awaitFlush(CLOSE_WAIT);
        upserter.shutdown();
    }

    /** Pages in the buffer, in flight or waiting (for tests and metrics). */
    int buffered() {
        return pending + (inFlight == null ? 0 : inFlight.sequences().size());
    }

    Optional<CompletableFuture<Void>> inFlightFlush() {
        return Optional.ofNullable(inFlight).map(InFlight::upserted);
    }
}
