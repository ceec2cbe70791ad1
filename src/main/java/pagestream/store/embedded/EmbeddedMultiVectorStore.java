package pagestream.store.embedded;

import pagestream.PageStreamConfig;
import pagestream.model.MultiVector;
import pagestream.store.MetadataJson;
import pagestream.store.MultiVectorStore;
import pagestream.store.PagePoint;
import pagestream.store.SearchFilter;
import pagestream.store.SearchHit;
import pagestream.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A single-process store on local disk: exact MaxSim over every stored page with the Vector API, all vectors in
 * memory in {@link PageTiles} layout, durability from an fsync'ed append-only {@link StoreLog} replayed on open.
 *
 * <p>Concurrency: writers are serialised and do their disk I/O before taking the (short) in-memory write lock,
 * so searches keep running while a write waits for fsync. A search scans pages on all cores.
 *
 * <p>Compaction: replaced and deleted pages stay in the log until it is more than twice the live data (plus
 * {@link #COMPACT_SLACK_BYTES}); then it is rewritten with the live pages only (crash-safe rename).
 */
public final class EmbeddedMultiVectorStore implements MultiVectorStore {

    static final long COMPACT_SLACK_BYTES = 64L << 20;
    /** Upserts are split into log records of at most this size (each record is atomic on replay). */
    private static final long RECORD_TARGET_BYTES = 64L << 20;

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ExecutorService scanPool;
    private final int scanThreads;
    private final Object writeLock = new Object();
    private final ReentrantReadWriteLock pagesLock = new ReentrantReadWriteLock();
    private final List<StoredPage> pages = new ArrayList<>();
    private final Map<UUID, Integer> slots = new HashMap<>();
    private long liveBytes;
    /** Set once by open or ensureCollection (under writeLock); read without it so searches never wait for a writer's fsync. */
    private volatile StoreLog log;
    private volatile boolean closed;

    private EmbeddedMultiVectorStore(Path dir, FileChannel lockChannel, FileLock lock, int scanThreads) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.scanThreads = scanThreads;
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = (ThreadPoolExecutor) Executors.newFixedThreadPool(Math.max(1, scanThreads - 1), r -> {
            Thread t = new Thread(r, "pagestream-maxsim-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        // Started here, not by the first search: a pool thread started by a background (ingestion) thread would
        // inherit its low OS priority (BackgroundPriority) and slow every query after it.
        pool.prestartAllCoreThreads();
        this.scanPool = pool;
    }

    /** {@code <pagestream.data-dir>/store}. */
    public static Path defaultDirectory(PageStreamConfig config) {
        return config.dataDir().resolve("store");
    }

    /** Opens (creating the directory if needed) with one scan thread per core. */
    public static EmbeddedMultiVectorStore open(Path dir) {
        return open(dir, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Opens the store in {@code dir}, replaying its log if there is one (a torn last record is dropped). Holds an
     * exclusive lock on {@code dir/store.lock} until {@link #close()}, so two processes never share a log.
     */
    public static EmbeddedMultiVectorStore open(Path dir, int scanThreads) {
        if (scanThreads < 1) {
            throw new IllegalArgumentException("scanThreads must be >= 1, got " + scanThreads);
        }
        if (!VectorApi.ENABLED) {
            System.getLogger(EmbeddedMultiVectorStore.class.getName()).log(System.Logger.Level.WARNING,
                    "The Java Vector API is not enabled: exact MaxSim search runs on the scalar kernel, many times "
                            + "slower; " + VectorApi.HOW_TO_ENABLE);
        }
        ScorerWarmUp.once();
        Path lockFile = dir.resolve("store.lock");
        FileChannel lockChannel = null;
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = lockChannel.tryLock();
            if (lock == null) {
                throw new StoreException("embedded store directory " + dir + " is in use by another process");
            }
            EmbeddedMultiVectorStore store = new EmbeddedMultiVectorStore(dir, lockChannel, lock, scanThreads);
            try {
                if (StoreLog.existingDim(dir) > 0) {
                    store.log = StoreLog.open(dir, payload -> store.apply(LogCodec.decode(payload)));
                }
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
            return store;
        } catch (OverlappingFileLockException e) {
            closeQuietly(lockChannel);
            throw new StoreException("embedded store directory " + dir + " is already open in this process", e);
        } catch (IOException e) {
            closeQuietly(lockChannel);
            throw StoreLog.ioFailure("cannot open directory", dir, e);
        }
    }

    public Path directory() {
        return dir;
    }

    @Override
    public void ensureCollection(int dim) {
        if (dim < 1) {
            throw new IllegalArgumentException("dimension must be >= 1, got " + dim);
        }
        synchronized (writeLock) {
            if (log == null) {
                log = StoreLog.create(dir, dim);
            } else if (log.dim() != dim) {
                throw new StoreException("embedded store " + log.file() + " holds vectors of dimension " + log.dim()
                        + ", but dimension " + dim + " was requested (a different model? use another data directory)");
            }
        }
    }

    @Override
    public void upsert(List<PagePoint> points) {
        if (points.isEmpty()) {
            return;
        }
        StoreLog target = requireLog();
        List<StoredPage> prepared = new ArrayList<>(points.size());
        for (PagePoint p : points) {
            checkVectors(p.vectors(), target.dim(), "doc " + p.docId() + " page " + p.page());
            MetadataJson.parse(p);
            prepared.add(StoredPage.of(p));
        }
        synchronized (writeLock) {
            int from = 0;
            while (from < points.size()) {
                int to = from;
                long bytes = 0;
                while (to < points.size() && (to == from || bytes + prepared.get(to).logBytes() <= RECORD_TARGET_BYTES)) {
                    bytes += prepared.get(to++).logBytes();
                }
                target.append(LogCodec.upsert(points.subList(from, to)));
                applyUpserts(prepared.subList(from, to));
                from = to;
            }
            compactIfWasteful();
        }
    }

    @Override
    public void deleteDocument(String docId, String tenant) {
        if (docId == null) {
            throw new IllegalArgumentException("deleteDocument needs a doc id");
        }
        StoreLog target = requireLog();
        synchronized (writeLock) {
            // Writers are serialised, so the in-memory view is exactly the log's: skip writing no-op deletes.
            boolean any = pages.stream().anyMatch(p -> p.docId().equals(docId) && (tenant == null || tenant.equals(p.tenant())));
            if (!any) {
                return;
            }
            target.append(LogCodec.delete(docId, tenant));
            applyDelete(docId, tenant);
            compactIfWasteful();
        }
    }

    @Override
    public List<SearchHit> search(MultiVector query, int topK, SearchFilter filter) {
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be >= 1, got " + topK);
        }
        StoreLog target = requireLog();
        checkVectors(query, target.dim(), "query");
        pagesLock.readLock().lock();
        try {
            int[] candidates = candidates(filter);
            float[] scores = score(query, candidates);
            PriorityQueue<Integer> best = new PriorityQueue<>(topK + 1, worstFirst(candidates, scores));
            for (int i = 0; i < candidates.length; i++) {
                best.add(i);
                if (best.size() > topK) {
                    best.poll();
                }
            }
            List<SearchHit> hits = new ArrayList<>(best.size());
            while (!best.isEmpty()) {
                int i = best.poll();
                StoredPage p = pages.get(candidates[i]);
                hits.add(new SearchHit(p.id(), p.docId(), p.page(), scores[i], p.tenant(), p.metadataJson()));
            }
            java.util.Collections.reverse(hits);
            return hits;
        } finally {
            pagesLock.readLock().unlock();
        }
    }

    @Override
    public long count(SearchFilter filter) {
        requireLog();
        pagesLock.readLock().lock();
        try {
            return candidates(filter).length;
        } finally {
            pagesLock.readLock().unlock();
        }
    }

    @Override
    public Optional<PagePoint> get(UUID id) {
        pagesLock.readLock().lock();
        try {
            Integer slot = slots.get(id);
            return slot == null ? Optional.empty() : Optional.of(pages.get(slot).toPoint());
        } finally {
            pagesLock.readLock().unlock();
        }
    }

    @Override
    public boolean isReachable() {
        StoreLog current = log;
        return !closed && lock.isValid() && (current == null || current.isWritable());
    }

    /** Rewrites the log with only the live pages now (normally automatic, see the class comment). */
    public void compact() {
        synchronized (writeLock) {
            requireLog().rewrite(livePayloads());
        }
    }

    /** Bytes of the log on disk (tests and metrics). */
    public long logBytes() {
        StoreLog current = log;
        return current == null ? 0 : current.size();
    }

    @Override
    public void close() {
        closed = true;
        scanPool.shutdownNow();
        synchronized (writeLock) {
            if (log != null) {
                log.close();
            }
            try {
                lock.release();
            } catch (IOException ignored) {
                // the channel close below releases it as well
            }
            closeQuietly(lockChannel);
        }
    }

    private float[] score(MultiVector query, int[] candidates) {
        return MaxSimScan.scores(query.data(), query.rows(), query.dim(), candidates.length,
                i -> pages.get(candidates[i]).tiles(), scanPool, scanThreads);
    }

    /** Heap order for top-K: lowest score first; among equal scores the later (doc id, page) goes first. */
    private Comparator<Integer> worstFirst(int[] candidates, float[] scores) {
        return (a, b) -> {
            int c = Float.compare(scores[a], scores[b]);
            if (c != 0) {
                return c;
            }
            StoredPage pa = pages.get(candidates[a]);
            StoredPage pb = pages.get(candidates[b]);
            c = pb.docId().compareTo(pa.docId());
            return c != 0 ? c : Integer.compare(pb.page(), pa.page());
        };
    }

    private int[] candidates(SearchFilter filter) {
        SearchFilter f = filter == null ? SearchFilter.any() : filter;
        int[] out = new int[pages.size()];
        int n = 0;
        for (int i = 0; i < pages.size(); i++) {
            StoredPage p = pages.get(i);
            if (f.matches(p.tenant(), p.docId())) {
                out[n++] = i;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private void apply(LogCodec.Entry entry) {
        if (entry instanceof LogCodec.Upsert upsert) {
            applyUpserts(upsert.points().stream().map(StoredPage::of).toList());
        } else if (entry instanceof LogCodec.Delete delete) {
            applyDelete(delete.docId(), delete.tenant());
        }
    }

    private void applyUpserts(List<StoredPage> batch) {
        pagesLock.writeLock().lock();
        try {
            for (StoredPage p : batch) {
                Integer slot = slots.get(p.id());
                if (slot == null) {
                    slots.put(p.id(), pages.size());
                    pages.add(p);
                } else {
                    liveBytes -= pages.get(slot).logBytes();
                    pages.set(slot, p);
                }
                liveBytes += p.logBytes();
            }
        } finally {
            pagesLock.writeLock().unlock();
        }
    }

    private void applyDelete(String docId, String tenant) {
        pagesLock.writeLock().lock();
        try {
            for (int i = pages.size() - 1; i >= 0; i--) {
                StoredPage p = pages.get(i);
                if (p.docId().equals(docId) && (tenant == null || tenant.equals(p.tenant()))) {
                    removeSlot(i);
                }
            }
        } finally {
            pagesLock.writeLock().unlock();
        }
    }

    /** Swap-remove: the last page moves into the hole, so slots stay dense for scanning. */
    private void removeSlot(int i) {
        StoredPage removed = pages.get(i);
        StoredPage last = pages.remove(pages.size() - 1);
        slots.remove(removed.id());
        liveBytes -= removed.logBytes();
        if (last != removed) {
            pages.set(i, last);
            slots.put(last.id(), i);
        }
    }

    private void compactIfWasteful() {
        if (log.size() > 2 * liveBytes + COMPACT_SLACK_BYTES) {
            log.rewrite(livePayloads());
        }
    }

    /** The live pages as upsert records, encoded lazily one record at a time (no second copy of the store). */
    private Iterable<ByteBuffer> livePayloads() {
        List<StoredPage> snapshot = List.copyOf(pages);
        return () -> new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < snapshot.size();
            }

            @Override
            public ByteBuffer next() {
                List<PagePoint> batch = new ArrayList<>();
                long bytes = 0;
                while (next < snapshot.size() && (batch.isEmpty() || bytes + snapshot.get(next).logBytes() <= RECORD_TARGET_BYTES)) {
                    StoredPage p = snapshot.get(next++);
                    batch.add(p.toPoint());
                    bytes += p.logBytes();
                }
                return LogCodec.upsert(batch);
            }
        };
    }

    private StoreLog requireLog() {
        if (closed) {
            throw new IllegalStateException("embedded store " + dir + " is closed");
        }
        StoreLog current = log;
        if (current == null) {
            throw new IllegalStateException("embedded store " + dir + " has no collection yet: call ensureCollection(dim) first");
        }
        return current;
    }

    private static void checkVectors(MultiVector v, int dim, String what) {
        if (v.dim() != dim) {
            throw new IllegalArgumentException(what + " has vectors of dimension " + v.dim() + ", the store holds dimension " + dim);
        }
        if (v.rows() < 1) {
            throw new IllegalArgumentException(what + " has no vectors");
        }
        float[] data = v.data();
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new IllegalArgumentException(what + " has a non-finite value " + data[i] + " at row " + (i / dim)
                        + ", column " + (i % dim));
            }
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // releasing the lock file of a store that failed to open
            }
        }
    }
}
