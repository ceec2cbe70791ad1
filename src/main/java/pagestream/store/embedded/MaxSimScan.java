package pagestream.store.embedded;

import pagestream.store.StoreException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Scores one query against many pages on several threads: the calling thread plus up to {@code threads - 1}
 * pool threads claim pages in small runs from a shared counter (pages differ in size, so static splitting
 * would leave a thread idle). This is the whole cost of an embedded search; filtering and top-K are trivial.
 */
public final class MaxSimScan {

    private static final int PAGES_PER_CLAIM = 4;

    private MaxSimScan() {
    }

    /**
     * @param query  row-major [queryRows, dim]
     * @param tiles  page {@code i}'s vectors in {@link PageTiles} layout, for {@code i < pageCount}
     * @return the MaxSim score of each page
     */
    public static float[] scores(float[] query, int queryRows, int dim, int pageCount, IntFunction<float[]> tiles,
                                 ExecutorService pool, int threads) {
        float[] scores = new float[pageCount];
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            PageScorer kernel = PageScorer.forQuery(query, queryRows, dim);
            for (int start; (start = next.getAndAdd(PAGES_PER_CLAIM)) < pageCount; ) {
                int end = Math.min(pageCount, start + PAGES_PER_CLAIM);
                for (int i = start; i < end; i++) {
                    scores[i] = kernel.score(tiles.apply(i));
                }
            }
        };
        int helpers = Math.min(threads - 1, pageCount / (2 * PAGES_PER_CLAIM));
        List<Future<?>> running = new ArrayList<>(helpers);
        for (int t = 0; t < helpers; t++) {
            running.add(pool.submit(worker));
        }
        worker.run();
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("search interrupted", e);
            } catch (ExecutionException e) {
                throw new StoreException("search failed: " + e.getCause(), e.getCause());
            }
        }
        return scores;
    }
}
