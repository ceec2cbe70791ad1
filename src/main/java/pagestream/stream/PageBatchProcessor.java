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
import pagestream.PageStreamConfig;
import pagestream.embed.BackgroundPriority;
import pagestream.embed.EmbeddingExecutor;
import pagestream.model.MultiVector;
import pagestream.model.processor.RgbImage;
import pagestream.store.MultiVectorStore;
import pagestream.store.PagePoint;
import pagestream.store.PointIds;
import pagestream.store.StoreException;
import pagestream.store.StoreRejectedException;

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
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeoutException;

/**
 * Ingests page events in micro-batches. Each event is decoded and validated here (failures go to the DLQ child),
 * then its pages are put in a changelogged key-value store, the buffer, keyed by an arrival sequence number (so
 * the first entry is the oldest). {@link #flush(long)} embeds the oldest pages on the {@link EmbeddingExecutor}
 * and upserts them into the {@link MultiVectorStore}; it is triggered from {@link #process} when
 * {@code maxSize} pages wait, and from a wall-clock punctuator when the oldest has waited {@code maxWait}.
 *
 * <p>Durability: with {@code exactly_once_v2} an event's input offset commits in the same transaction as its
 * buffer (changelog) writes or its DLQ record. Buffer entries are deleted only after {@code upsert} returned (or
 * in the transaction that dead-letters them), so a crash at any point leaves every page in the store, in the DLQ
 * or in the restored buffer, which is flushed again (point ids are deterministic, so that is idempotent).
 *
 * <p>Failures ({@link FlushFailure}): a flush that fails for a reason a retry may outlive (store unreachable, I/O
 * error, full disk) keeps its pages buffered and is retried with jittered exponential backoff; its embeddings are
 * kept, so only the upsert is repeated. A flush that fails because of its content is retried page by page, and a
 * page that fails alone is dead-lettered ({@link DeadLetters#ofBufferedPage}) in the transaction that removes it
 * from the buffer.
 *
 * <p>The buffer is bounded: at {@code 4 * maxSize} pages (plus the pages of the event that crossed it) the stream
 * thread stops reading input and waits for flushes to drain it, retrying them in backoff steps, for at most
 * {@code maxBlock}; past that, if no flush got through meanwhile, it throws {@link IngestionStalledException} so
 * the transaction aborts (nothing of it is committed) and the thread is replaced. Otherwise the stream thread never waits for the model: one flush per
 * task is in flight at a time, completed (buffer entries deleted) by the next {@code process} or punctuation.
 */
public final class PageBatchProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    private static final Logger LOG = Logger.getLogger(PageBatchProcessor.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(60);
    /** The buffer holds at most this many batches before {@link #process} holds the stream thread. */
    private static final int BUFFERED_BATCHES = 4;

    private final PageEventDecoder decoder;
    private final EmbeddingExecutor executor;
    private final MultiVectorStore store;
    private final String bufferStoreName;
    private final String deadLetterChild;
    private final int maxSize;
    private final Duration maxWait;
    private final Backoff backoff;
    private final Duration maxBlock;

    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<Long, BufferedPage> buffer;
    private ExecutorService upserter;
    private long nextSequence;
    /** Buffered pages not part of {@link #inFlight}. */
    private int pending;
    private InFlight inFlight;
    /** Flushes failed in a row for a transient reason; 0 after a success. */
    private int failures;
    private long retryNotBeforeMs;
    private Throwable lastFailure;
    /** Flushes that succeeded (for telling a slow drain from a stall). */
    private long flushed;
    /** The oldest pages of a batch whose upsert failed transiently, with their embeddings: retried as they are. */
    private Embedded retry;
    /** The next this-many oldest pages are flushed one at a time: their batch failed because of one of them. */
    private int isolating;

    /** The flush running on the executor: the buffer entries it covers (the oldest ones) and its stages. */
    private record InFlight(List<Long> sequences, List<DecodedPage> pages,
            CompletableFuture<List<MultiVector>> embedded, CompletableFuture<Void> upserted) {
    }

    private record Embedded(List<Long> sequences, List<DecodedPage> pages, List<MultiVector> vectors) {
    }

    public PageBatchProcessor(PageEventDecoder decoder, EmbeddingExecutor executor, MultiVectorStore store,
            String bufferStoreName, String deadLetterChild, int maxSize, Duration maxWait,
            PageStreamConfig.Retry retry) {
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
        this.backoff = new Backoff(retry.initialBackoff(), retry.maxBackoff());
        this.maxBlock = retry.maxBlock();
    }

    /**
     * Buffered pages at which {@link #process} holds the stream thread: a task's buffer holds at most this many
     * pages plus those of the one event that crossed it, minus one (a PDF brings all its pages at once).
     */
    public static int bufferBound(int maxSize) {
        return BUFFERED_BATCHES * maxSize;
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
        ThreadPoolExecutor upserts = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                runnable -> {
                    Thread thread = new Thread(runnable, "pagestream-upsert-" + context.taskId());
                    thread.setDaemon(true);
                    thread.setPriority(Thread.NORM_PRIORITY);
                    return thread;
                });
        // Normal priority, started before this thread moves to the background, and every store call goes through
        // it: a store call may start the store client's shared threads (gRPC executors, event loops) that queries
        // use too, and a thread inherits the OS priority of the thread that starts it. (A second task initialised
        // on a thread already in the background gets nice 0 back only where the JVM may raise priorities: root.)
        upserts.prestartAllCoreThreads();
        this.upserter = upserts;
        // Decoding pages must not hold up queries for CPU (BackgroundPriority).
        BackgroundPriority.enter();
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
        BufferedPage.Origin origin = context.recordMetadata()
                .map(meta -> new BufferedPage.Origin(meta.topic(), meta.partition(), meta.offset(), record.timestamp()))
                .orElse(null);
        for (DecodedPage page : decoded.pages()) {
            buffer.put(nextSequence++, new BufferedPage(page, now, origin));
            pending++;
        }
        if (pending >= maxSize) {
            flush(now);
        }
        holdWhileFull(now);
    }

    /**
     * Backpressure: the model is slower than the input, or the store is failing. Holds the stream thread (no more
     * input is read, so nothing more is buffered or committed) until the buffer is below its bound, completing and
     * retrying flushes meanwhile, for at most {@code maxBlock}. If flushes went through meanwhile (a slow model
     * draining a large PDF), it returns so the thread commits what was stored and polls; the next event holds it
     * again. If none did, it throws: aborting is all that is left before the transaction times out.
     */
    private void holdWhileFull(long now) {
        int bound = bufferBound(maxSize);
        long started = System.nanoTime();
        long flushedBefore = flushed;
        while (buffered() >= bound) {
            long waited = Duration.ofNanos(System.nanoTime() - started).toMillis();
            long left = maxBlock.toMillis() - waited;
            if (left <= 0 && flushed > flushedBefore) {
                LOG.warnf("task %s: %d pages still buffered (bound %d) after %s of flushing; committing the progress",
                        context.taskId(), buffered(), bound, maxBlock);
                return;
            }
            if (left <= 0) {
                throw new IngestionStalledException("task " + context.taskId() + ": " + buffered()
                        + " pages buffered (bound " + bound + ") for " + maxBlock + ": "
                        + (lastFailure == null ? "the page flush is still running (is the model far slower than "
                                + "pagestream.batch.max-size needs?)" : "flushes keep failing: " + lastFailure),
                        lastFailure);
            }
            if (inFlight != null) {
                awaitFlush(Duration.ofMillis(left));
            } else {
                sleep(Math.min(retryNotBeforeMs - (now + waited), left));
            }
            long at = now + Duration.ofNanos(System.nanoTime() - started).toMillis();
            completeFlush(at);
            flush(at);
        }
    }

    /** The latency cap: flushes when the oldest waiting page has waited {@code maxWait}. */
    void punctuate(long now) {
        completeFlush(now);
        if (inFlight != null || pending == 0) {
            return;
        }
        if (pending >= maxSize || isolating > 0 || retry != null || oldestBufferedAt() + maxWait.toMillis() <= now) {
            flush(now);
        }
    }

    /**
     * Starts embedding + upserting the oldest {@code maxSize} buffered pages (one while isolating a failure, the
     * embedded batch again after a transient upsert failure), unless a flush is already in flight (one at a time
     * keeps a document's upserts in arrival order) or a failed flush is backing off.
     */
    void flush(long now) {
        if (inFlight != null || pending == 0 || now < retryNotBeforeMs) {
            return;
        }
        String modelId = executor.model().id();
        if (retry != null) {
            Embedded batch = retry;
            retry = null;
            start(new InFlight(batch.sequences(), batch.pages(), CompletableFuture.completedFuture(batch.vectors()),
                    CompletableFuture.runAsync(() -> store.upsert(points(batch.pages(), batch.vectors(), modelId)),
                            upserter)));
            return;
        }
        int size = isolating > 0 ? 1 : maxSize;
        List<Long> sequences = new ArrayList<>(size);
        // The same page twice in one batch: the later event wins, the earlier is dropped with it.
        Map<UUID, DecodedPage> latest = new LinkedHashMap<>();
        try (KeyValueIterator<Long, BufferedPage> oldest = buffer.all()) {
            while (oldest.hasNext() && sequences.size() < size) {
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
        CompletableFuture<List<MultiVector>> embedded = executor.embedPages(images);
        start(new InFlight(sequences, pages, embedded,
                embedded.thenAcceptAsync(vectors -> store.upsert(points(pages, vectors, modelId)), upserter)));
    }

    private void start(InFlight flush) {
        inFlight = flush;
        pending -= flush.sequences().size();
        LOG.debugf("task %s: flushing %d pages (%d distinct), %d still buffered", context.taskId(),
                flush.sequences().size(), flush.pages().size(), pending);
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

    /**
     * If the in-flight flush has finished: on success its pages leave the buffer; on a transient failure they wait
     * for a retry after backoff; on a content failure they are isolated, or dead-lettered when alone.
     */
    private void completeFlush(long now) {
        if (inFlight == null || !inFlight.upserted().isDone()) {
            return;
        }
        InFlight done = inFlight;
        inFlight = null;
        Throwable failure = failureOf(done.upserted());
        if (failure == null) {
            done.sequences().forEach(buffer::delete);
            flushed++;
            isolating = Math.max(0, isolating - done.sequences().size());
            if (failures > 0) {
                LOG.infof("task %s: page flushes work again after %d failed attempts", context.taskId(), failures);
            }
            failures = 0;
            lastFailure = null;
            return;
        }
        pending += done.sequences().size();
        FlushFailure kind = FlushFailure.of(failure, done.embedded().isCompletedExceptionally());
        if (!kind.pageSpecific()) {
            failures++;
            lastFailure = failure;
            long delay = backoff.delayMs(failures);
            retryNotBeforeMs = now + delay;
            if (!done.embedded().isCompletedExceptionally()) {
                retry = new Embedded(done.sequences(), done.pages(), done.embedded().join());
            }
            String message = String.format("task %s: flushing %d pages failed (attempt %d); they stay buffered "
                    + "(%d in all) and are retried in %d ms", context.taskId(), done.sequences().size(), failures,
                    buffered(), delay);
            if (failures == 1) {
                LOG.error(message, failure);
            } else {
                LOG.warn(message + ": " + failure.getMessage());
            }
        } else if (done.sequences().size() > 1) {
            isolating = done.sequences().size();
            LOG.warnf("task %s: a batch of %d pages failed (%s: %s); flushing them one by one to find the page",
                    context.taskId(), done.sequences().size(), kind.reason(), failure.getMessage());
        } else {
            deadLetterBuffered(done.sequences().get(0), kind, failure, now);
        }
    }

    /** The failure that ended {@code flush}, unwrapped; {@code null} if it succeeded. */
    private static Throwable failureOf(CompletableFuture<Void> flush) {
        try {
            flush.join();
            return null;
        } catch (RuntimeException e) {
            return FlushFailure.unwrap(e);
        }
    }

    /** A page failed alone for a reason of its own: to the DLQ, out of the buffer, in this one transaction. */
    private void deadLetterBuffered(long sequence, FlushFailure kind, Throwable failure, long now) {
        BufferedPage page = buffer.get(sequence);
        Rejection rejection = new Rejection(kind.reason(), failure.getClass().getSimpleName() + ": "
                + failure.getMessage());
        LOG.warnf("task %s: page %s#%d to DLQ: %s (%s)", context.taskId(), page.page().docId(), page.page().page(),
                rejection.reason(), rejection.message());
        context.forward(DeadLetters.ofBufferedPage(page, rejection, now), deadLetterChild);
        buffer.delete(sequence);
        pending--;
        isolating = Math.max(0, isolating - 1);
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

    private static void sleep(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IngestionStalledException("interrupted while waiting to retry a page flush", e);
        }
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
        long started = System.nanoTime();
        if (!awaitFlush(maxBlock)) {
            // Deleting now could let the running upsert land after the delete: abort the transaction instead;
            // the tombstone is processed again when the thread is replaced.
            throw new IngestionStalledException("tombstone for document " + docId + ": the page flush before it is "
                    + "still running after " + maxBlock + "; is the model far slower than pagestream.batch.max-size "
                    + "needs?", null);
        }
        completeFlush(now);
        retry = null; // its pages may be dropped below; the rest are read from the buffer again
        List<Long> dropped = new ArrayList<>();
        try (KeyValueIterator<Long, BufferedPage> all = buffer.all()) {
            all.forEachRemaining(entry -> {
                DecodedPage page = entry.value.page();
                if (page.docId().equals(docId) && (tenant == null || tenant.equals(page.tenant()))) {
                    dropped.add(entry.key);
                }
            });
        }
        deleteFromStore(docId, tenant, started);
        dropped.forEach(buffer::delete);
        pending -= dropped.size();
        LOG.debugf("task %s: deleted document %s%s (%d buffered pages dropped)", context.taskId(), docId,
                tenant == null ? "" : " of tenant " + tenant, dropped.size());
    }

    /**
     * Retries a failing delete with backoff until {@code maxBlock} after {@code started} (the tombstone's whole
     * wait, the in-flight flush included); then (or at once if the store refuses it) throws, so the transaction
     * aborts and the tombstone is processed again after the thread is replaced.
     */
    private void deleteFromStore(String docId, String tenant, long started) {
        for (int attempt = 1; ; attempt++) {
            try {
                onUpsertThread(() -> store.deleteDocument(docId, tenant));
                return;
            } catch (StoreRejectedException e) {
                throw e;
            } catch (StoreException e) {
                long delay = backoff.delayMs(attempt);
                long waited = Duration.ofNanos(System.nanoTime() - started).toMillis();
                if (waited + delay > maxBlock.toMillis()) {
                    throw new IngestionStalledException("tombstone for document " + docId + ": the delete still "
                            + "fails after " + waited + " ms: " + e.getMessage(), e);
                }
                LOG.warnf("task %s: deleting document %s failed (attempt %d), retrying in %d ms: %s",
                        context.taskId(), docId, attempt, delay, e.getMessage());
                sleep(delay);
            }
        }
    }

    /** Runs a store call on the upsert thread (see {@link #init}) and waits for it, rethrowing what it throws. */
    private void onUpsertThread(Runnable call) {
        try {
            CompletableFuture.runAsync(call, upserter).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error cause) {
                throw cause;
            }
            throw e;
        }
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
