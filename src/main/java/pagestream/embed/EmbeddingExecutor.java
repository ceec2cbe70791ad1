package pagestream.embed;

import org.jboss.logging.Logger;
import pagestream.model.ColPaliModel;
import pagestream.model.MultiVector;
import pagestream.model.nn.YieldPoint;
import pagestream.model.processor.RgbImage;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs a {@link ColPaliModel}: every embedding in the process goes through here, so work is ordered by urgency
 * and the model never runs more than one query call and one page call at a time.
 *
 * <p>Two lanes, each one thread. The <b>query lane</b> takes every query waiting when it becomes free and embeds
 * them in one model call (up to {@code maxQueryBatch}); it never waits for page work: a query call starts even
 * while a page call is running. The <b>page lane</b> cuts each page batch into sub-batches of
 * {@code pageSubBatch} images and starts a sub-batch only while no query is queued or running, so pages use the
 * model when queries leave it idle. Pages run in submission order (FIFO), which keeps a document's upserts in the
 * order its events arrived.
 *
 * <p>Why a query does not wait for the page call in flight: on a CPU node under full ingestion that call (tens of
 * milliseconds for a sub-batch, seconds for real pages) would be most of a query's latency. Nor does it share the
 * device with that call for long: the page call stops at its next layer boundary ({@link YieldPoint}) while a
 * query is queued or running, and resumes where it stopped when the query lane is idle, so the query call runs
 * alone after at most one layer of page work. The page lane also runs at {@link BackgroundPriority background
 * priority} (as do the threads that decode pages), so in that last layer the query's threads get the cores first.
 *
 * <p>{@link #close()} refuses new work, finishes everything already queued, then stops both threads. Closing the
 * model itself stays with whoever loaded it.
 */
public final class EmbeddingExecutor implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddingExecutor.class);

    private final ColPaliModel model;
    private final int pageSubBatch;
    private final int maxQueryBatch;
    private final CallListener listener;
    private final Thread queryLane;
    private final Thread pageLane;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when work is queued, a query call ends, or the executor closes. */
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<QueryWork> queries = new ArrayDeque<>(); // guarded by lock
    private final ArrayDeque<PageJob> pages = new ArrayDeque<>(); // guarded by lock
    private boolean queryRunning; // guarded by lock
    private boolean closed; // guarded by lock

    private final AtomicLong queriesEmbedded = new AtomicLong();
    private final AtomicLong queryBatches = new AtomicLong();
    private final AtomicLong pagesEmbedded = new AtomicLong();
    private final AtomicLong pageSubBatches = new AtomicLong();
    private final AtomicLong queryNanos = new AtomicLong();
    private final AtomicLong pageNanos = new AtomicLong();
    private final AtomicLong pagePauses = new AtomicLong();
    private final AtomicLong pagePausedNanos = new AtomicLong();

    /**
     * Work done so far: model calls ({@code *Batches}), the items they embedded and the time they took (page calls'
     * time includes their pauses: {@code pagePauses} stops at a layer boundary for queries, {@code pagePausedNanos}
     * in all).
     */
    public record Stats(long queries, long queryBatches, long pages, long pageSubBatches, long queryNanos,
            long pageNanos, long pagePauses, long pagePausedNanos) {
    }

    /** Told of every model call, on the lane that made it (both lanes may call at once): the metrics' timers. */
    @FunctionalInterface
    public interface CallListener {
        CallListener NONE = (kind, items, nanos) -> { };

        void modelCall(Kind kind, int items, long nanos);
    }

    public enum Kind {
        PAGES, QUERIES
    }

    private record QueryWork(String text, CompletableFuture<MultiVector> result) {
    }

    /** A page batch in progress; {@code done} is touched by the model thread only. */
    private record PageJob(List<RgbImage> images, List<MultiVector> done,
            CompletableFuture<List<MultiVector>> result) {
    }

    public EmbeddingExecutor(ColPaliModel model, int pageSubBatch, int maxQueryBatch) {
        this(model, pageSubBatch, maxQueryBatch, CallListener.NONE);
    }

    public EmbeddingExecutor(ColPaliModel model, int pageSubBatch, int maxQueryBatch, CallListener listener) {
        if (pageSubBatch < 1 || maxQueryBatch < 1) {
            throw new IllegalArgumentException("pageSubBatch and maxQueryBatch must be >= 1, got "
                    + pageSubBatch + " and " + maxQueryBatch);
        }
        this.model = model;
        this.pageSubBatch = pageSubBatch;
        this.maxQueryBatch = maxQueryBatch;
        this.listener = listener;
        this.queryLane = new Thread(this::runQueries, "pagestream-embed-queries-" + model.id());
        this.pageLane = new Thread(this::runPages, "pagestream-embed-pages-" + model.id());
        for (Thread lane : List.of(queryLane, pageLane)) {
            lane.setDaemon(true);
            lane.start();
        }
    }

    public ColPaliModel model() {
        return model;
    }

    /** Runs as soon as the query lane is free, batched with the other queries waiting at that moment. */
    public CompletableFuture<MultiVector> embedQuery(String query) {
        QueryWork work = new QueryWork(query, new CompletableFuture<>());
        enqueue(() -> queries.add(work), work.result());
        return work.result();
    }

    /**
     * One vector set per image, in order; its sub-batches start, and continue past each layer, only while no query is
     * queued or running.
     */
    public CompletableFuture<List<MultiVector>> embedPages(List<RgbImage> images) {
        PageJob job = new PageJob(List.copyOf(images), new ArrayList<>(images.size()), new CompletableFuture<>());
        if (images.isEmpty()) {
            job.result().complete(List.of());
            return job.result();
        }
        enqueue(() -> pages.add(job), job.result());
        return job.result();
    }

    public Stats stats() {
        return new Stats(queriesEmbedded.get(), queryBatches.get(), pagesEmbedded.get(), pageSubBatches.get(),
                queryNanos.get(), pageNanos.get(), pagePauses.get(), pagePausedNanos.get());
    }

    public int queuedQueries() {
        lock.lock();
        try {
            return queries.size();
        } finally {
            lock.unlock();
        }
    }

    public int queuedPageBatches() {
        lock.lock();
        try {
            return pages.size();
        } finally {
            lock.unlock();
        }
    }

    private void enqueue(Runnable add, CompletableFuture<?> result) {
        lock.lock();
        try {
            if (closed) {
                result.completeExceptionally(new RejectedExecutionException("embedding executor is shut down"));
                return;
            }
            add.run();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void runQueries() {
        while (true) {
            List<QueryWork> batch = new ArrayList<>();
            lock.lock();
            try {
                while (queries.isEmpty()) {
                    if (closed) {
                        return;
                    }
                    changed.awaitUninterruptibly();
                }
                while (!queries.isEmpty() && batch.size() < maxQueryBatch) {
                    batch.add(queries.poll());
                }
                queryRunning = true;
            } finally {
                lock.unlock();
            }
            try {
                runQueryBatch(batch);
            } finally {
                lock.lock();
                try {
                    queryRunning = false;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private void runPages() {
        BackgroundPriority.enter();
        while (true) {
            PageJob job;
            lock.lock();
            try {
                while (pages.isEmpty() || queryPending()) {
                    if (closed && pages.isEmpty()) {
                        return;
                    }
                    changed.awaitUninterruptibly();
                }
                job = pages.peek(); // stays queued until its last sub-batch is done
            } finally {
                lock.unlock();
            }
            runPageSubBatch(job);
        }
    }

    private void runQueryBatch(List<QueryWork> batch) {
        try {
            long start = System.nanoTime();
            List<MultiVector> vectors = model.embedQueries(batch.stream().map(QueryWork::text).toList());
            long nanos = System.nanoTime() - start;
            queryNanos.addAndGet(nanos);
            queryBatches.incrementAndGet();
            queriesEmbedded.addAndGet(batch.size());
            listener.modelCall(Kind.QUERIES, batch.size(), nanos);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(vectors.get(i));
            }
        } catch (RuntimeException | Error e) {
            LOG.errorf(e, "embedding %d queries failed", batch.size());
            batch.forEach(work -> work.result().completeExceptionally(e));
        }
    }

    private void runPageSubBatch(PageJob job) {
        int from = job.done().size();
        int to = Math.min(from + pageSubBatch, job.images().size());
        boolean finished;
        try {
            long start = System.nanoTime();
            List<RgbImage> subBatch = job.images().subList(from, to);
            job.done().addAll(YieldPoint.during(this::pauseForQueries, () -> model.embedImages(subBatch)));
            long nanos = System.nanoTime() - start;
            pageNanos.addAndGet(nanos);
            pageSubBatches.incrementAndGet();
            pagesEmbedded.addAndGet(to - from);
            listener.modelCall(Kind.PAGES, to - from, nanos);
            finished = job.done().size() == job.images().size();
        } catch (RuntimeException | Error e) {
            LOG.errorf(e, "embedding pages %d..%d of a %d-page batch failed", from, to - 1, job.images().size());
            removeJob(job);
            job.result().completeExceptionally(e);
            return;
        }
        if (finished) {
            removeJob(job);
            job.result().complete(List.copyOf(job.done()));
        }
    }

    /** Whether a query is queued or running: page work waits. Call with {@code lock} held. */
    private boolean queryPending() {
        return !queries.isEmpty() || queryRunning;
    }

    /** At a layer boundary of a page call: waits while a query is queued or running. */
    private void pauseForQueries() {
        lock.lock();
        try {
            if (!queryPending()) {
                return;
            }
            long start = System.nanoTime();
            pagePauses.incrementAndGet();
            while (queryPending()) {
                changed.awaitUninterruptibly();
            }
            pagePausedNanos.addAndGet(System.nanoTime() - start);
        } finally {
            lock.unlock();
        }
    }

    private void removeJob(PageJob job) {
        lock.lock();
        try {
            pages.remove(job);
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new work, waits (up to {@code timeout}) for queued and running work to finish. */
    public boolean shutdown(Duration timeout) throws InterruptedException {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread lane : List.of(queryLane, pageLane)) {
            long leftMs = Math.max(1, Duration.ofNanos(deadline - System.nanoTime()).toMillis());
            lane.join(leftMs);
        }
        return !queryLane.isAlive() && !pageLane.isAlive();
    }

    @Override
    public void close() {
        try {
            if (!shutdown(Duration.ofMinutes(5))) {
                LOG.warn("embedding executor still busy after 5 minutes; leaving it to finish in the background");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
