package pagestream.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class ScorerWarmUpTest {

    private static final long SLOW_NANOS = Duration.ofMillis(10).toNanos();

    /** A clock that only moves when a simulated page is scored. */
    private final AtomicLong clock = new AtomicLong();

    @Test
    void stopsOnceEnoughPagesInARowAreFast() {
        AtomicInteger made = new AtomicInteger();
        // the first four pages are slow, as an uncompiled kernel is; then every page is fast
        ScorerWarmUp.Result result = ScorerWarmUp.run(() -> {
            int n = made.incrementAndGet();
            return () -> clock.addAndGet(n <= 4 ? SLOW_NANOS : 1_000);
        }, Duration.ofSeconds(30), clock::get);

        assertThat(result.warm()).isTrue();
        assertThat(result.pages()).isEqualTo(4 + ScorerWarmUp.FAST_IN_A_ROW);
        assertThat(made).hasValue(result.pages());
        assertThat(result.took()).isEqualTo(Duration.ofNanos(4 * SLOW_NANOS + ScorerWarmUp.FAST_IN_A_ROW * 1_000L));
    }

    @Test
    void aSlowPageStartsTheCountAgain() {
        AtomicInteger made = new AtomicInteger();
        ScorerWarmUp.Result result = ScorerWarmUp.run(() -> {
            int n = made.incrementAndGet();
            return () -> clock.addAndGet(n == 3 ? SLOW_NANOS : 0); // fast, fast, slow, then fast
        }, Duration.ofSeconds(30), clock::get);

        assertThat(result.pages()).isEqualTo(3 + ScorerWarmUp.FAST_IN_A_ROW);
    }

    @Test
    void aKernelThatNeverGetsFastEndsOnTheBudget() {
        ScorerWarmUp.Result result = ScorerWarmUp.run(() -> () -> clock.addAndGet(SLOW_NANOS),
                Duration.ofMillis(100), clock::get);

        assertThat(result.warm()).isFalse();
        assertThat(result.pages()).isEqualTo(10);
        assertThat(result.took()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void theRealKernelGetsFastWithinTheBudget() {
        // the real kernel on a ColPali-sized page, as the store runs it (in this JVM it may be compiled already)
        ScorerWarmUp.once();
        float[] query = new float[9 * 128];
        float[] page = PageTiles.fromRows(new float[1030 * 128], 1030, 128);

        ScorerWarmUp.Result result = ScorerWarmUp.run(() -> {
            PageScorer scorer = PageScorer.forQuery(query, 9, 128);
            return () -> scorer.score(page);
        }, ScorerWarmUp.BUDGET);

        assertThat(result.warm()).as("after the warm-up, pages score in at most %s", ScorerWarmUp.FAST).isTrue();
    }
}
