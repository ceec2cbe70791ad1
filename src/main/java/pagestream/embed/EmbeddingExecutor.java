package pagestream.embed;

import org.jboss.logging.Logger;
import pagestream.model.ColPaliModel;
import pagestream.model.MultiVector;
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
 * The one thread that runs a {@link ColPaliModel}: every embedding in the process goes through here, so the model
 * (and its device memory) is never used by two threads at once and work can be ordered by urgency.
 *
 * <p>Scheduling is a two-level priority queue. Queries (HIGH) always run before pages (LOW); every query waiting
 * when the model becomes free is coalesced into one model batch (up to {@code maxQueryBatch}). A page batch is
 * cut into sub-batches of {@code pageSubBatch} images and the queue is checked between them, so a query waits at
 * most one page sub-batch for the model. Pages run in submission order (FIFO), which keeps a document's upserts in
 * the order its events arrived.
 *
 * <p>{@link #close()} refuses new work, finishes everything already queued, then stops the thread. Closing the
 * model itself stays with whoever loaded it.
 */
public final class EmbeddingExecutor implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddingExecutor.class);

    private final ColPaliModel model;
    private final int pageSubBatch;
    private final int maxQueryBatch;
    private final CallListener listener;
    private final Thread thread;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workArrived = lock.newCondition();
    private final ArrayDeque<QueryWork> queries = new ArrayDeque<>(); // guarded by lock
    private final ArrayDeque<PageJob> pages = new ArrayDeque<>(); // guarded by lock
    private boolean closed; // guarded by lock

    private final AtomicLong queriesEmbedded = new AtomicLong();
    private final AtomicLong queryBatches = new AtomicLong();
    private final AtomicLong pagesEmbedded = new AtomicLong();
    private final AtomicLong pageSubBatches = new AtomicLong();
    private final AtomicLong queryNanos = new AtomicLong();
    private final AtomicLong pageNanos = new AtomicLong();

    /** Work done so far: model calls ({@code *Batches}), the items they embedded and the time they took. */
    public record Stats(long queries, long queryBatches, long pages, long pageSubBatches, long queryNanos,
            long pageNanos) {
    }

    /** Told of every model call, on the model thread (so it must be quick): the metrics' timers. */
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
        this.thread = new Thread(this::runLoop, "pagestream-embed-" + model.id());
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public ColPaliModel model() {
        return model;
    }

    /** HIGH priority: runs before any page work, batched with the other queries waiting at that moment. */
    public CompletableFuture<MultiVector> embedQuery(String query) {
        QueryWork work = new QueryWork(query, new CompletableFuture<>());
        enqueue(() -> queries.add(work), work.result());
        return work.result();
    }

    /** LOW priority: one vector set per image, in order; runs in sub-batches so queries can cut in. */
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
                queryNanos.get(), pageNanos.get());
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
            workArrived.signal();
        } finally {
            lock.unlock();
        }
    }

    private void runLoop() {
        while (true) {
            List<QueryWork> queryBatch = new ArrayList<>();
            PageJob pageJob = null;
            lock.lock();
            try {
                while (queries.isEmpty() && pages.isEmpty()) {
                    if (closed) {
                        return;
                    }
                    workArrived.awaitUninterruptibly();
                }
                while (!queries.isEmpty() && queryBatch.size() < maxQueryBatch) {
                    queryBatch.add(queries.poll());
                }
                if (queryBatch.isEmpty()) {
                    pageJob = pages.peek(); // stays queued until its last sub-batch is done
                }
            } finally {
                lock.unlock();
            }
            if (!queryBatch.isEmpty()) {
                runQueries(queryBatch);
            } else {
                runPageSubBatch(pageJob);
            }
        }
    }

    private void runQueries(List<QueryWork> batch) {
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
            job.done().addAll(model.embedImages(job.images().subList(from, to)));
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
            workArrived.signalAll();
        } finally {
            lock.unlock();
        }
        thread.join(timeout.toMillis());
        return !thread.isAlive();
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
