package pagestream.stream;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff for retrying a failed flush: {@code initial × 2^(failures-1)}, capped at {@code max}, each
 * delay drawn from 50..100 % of that so replicas hit by the same outage do not retry in lockstep.
 */
record Backoff(Duration initial, Duration max) {

    Backoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("pagestream.retry: need 0 < initial-backoff <= max-backoff, got "
                    + initial + " and " + max);
        }
    }

    /** The ceiling of the delay after {@code failures} consecutive failures (≥ 1). */
    long ceilingMs(int failures) {
        long ceiling = initial.toMillis() << Math.min(failures - 1, 30);
        return ceiling <= 0 ? max.toMillis() : Math.min(ceiling, max.toMillis());
    }

    /** A jittered delay in [ceiling / 2, ceiling]. */
    long delayMs(int failures) {
        long ceiling = ceilingMs(failures);
        return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    }
}
