package pagestream.store.embedded;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Scores synthetic pages until the MaxSim kernel runs compiled, before the store serves its first search.
 *
 * <p>Why: the Vector API is only fast once C2 has compiled the kernel into SIMD instructions; interpreted or
 * C1-compiled, every vector operation is an object, and one 1030-row page took 30–170 ms instead of 0.3 ms. The
 * JIT compiles the kernel only after it has run for a while, so without this the first searches after a start
 * (and, in {@code bench-load}, the first queries once the store held pages) paid that: the four slowest replies of
 * a run, 106–219 ms, were the first four queries of the phase. Warming on the opening thread moves the cost
 * (about half a second) to start-up, before readiness.
 */
final class ScorerWarmUp {

    /** Scoring a page this fast means the kernel is compiled (it is 0.1–0.3 ms then, 30+ ms before). */
    static final Duration FAST = Duration.ofMillis(3);
    /** Consecutive fast pages that end the warm-up. */
    static final int FAST_IN_A_ROW = 3;
    static final Duration BUDGET = Duration.ofSeconds(5);

    private static final AtomicBoolean DONE = new AtomicBoolean();

    /** What a warm-up did: pages scored, time spent, whether it ended on fast pages (else on the budget). */
    record Result(int pages, Duration took, boolean warm) {
    }

    private ScorerWarmUp() {
    }

    /** Warms the kernel {@link PageScorer#forQuery} picks, once per JVM; later calls return at once. */
    static void once() {
        if (!DONE.compareAndSet(false, true)) {
            return;
        }
        Result result = run(syntheticScorers(), BUDGET);
        System.getLogger(ScorerWarmUp.class.getName()).log(System.Logger.Level.INFO,
                "MaxSim kernel warmed up on {0} synthetic pages in {1} ms{2}", result.pages(),
                result.took().toMillis(), result.warm() ? "" : " (still slow when the budget ran out)");
    }

    /**
     * Scores pages with scorers from {@code scorers} until {@link #FAST_IN_A_ROW} pages in a row each took at
     * most {@link #FAST}, or {@code budget} is spent.
     */
    static Result run(Supplier<Runnable> scorers, Duration budget) {
        return run(scorers, budget, System::nanoTime);
    }

    /** {@link #run(Supplier, Duration)} timed by {@code nanoClock}. */
    static Result run(Supplier<Runnable> scorers, Duration budget, LongSupplier nanoClock) {
        long start = nanoClock.getAsLong();
        long deadline = start + budget.toNanos();
        int pages = 0;
        int fastInARow = 0;
        while (fastInARow < FAST_IN_A_ROW && nanoClock.getAsLong() < deadline) {
            Runnable scorePage = scorers.get();
            long t0 = nanoClock.getAsLong();
            scorePage.run();
            pages++;
            fastInARow = nanoClock.getAsLong() - t0 <= FAST.toNanos() ? fastInARow + 1 : 0;
        }
        return new Result(pages, Duration.ofNanos(nanoClock.getAsLong() - start), fastInARow >= FAST_IN_A_ROW);
    }

    private static final int DIM = 128;
    private static final int PAGE_ROWS = 1030;
    private static final int QUERY_ROWS = 9; // a block of 5 rows and one of 4: both of the kernel's paths

    /** Page scorers over one synthetic ColPali-sized page (a new kernel per page, as each search makes one). */
    private static Supplier<Runnable> syntheticScorers() {
        Random random = new Random(42);
        float[] rows = new float[PAGE_ROWS * DIM];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (float) random.nextGaussian();
        }
        float[] page = PageTiles.fromRows(rows, PAGE_ROWS, DIM);
        float[] query = new float[QUERY_ROWS * DIM];
        for (int i = 0; i < query.length; i++) {
            query[i] = (float) random.nextGaussian();
        }
        return () -> {
            PageScorer scorer = PageScorer.forQuery(query, QUERY_ROWS, DIM);
            return () -> scorer.score(page);
        };
    }
}
