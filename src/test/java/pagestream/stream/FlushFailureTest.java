package pagestream.stream;

import io.grpc.Status;
import org.junit.jupiter.api.Test;
import pagestream.store.StoreException;
import pagestream.store.StoreRejectedException;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which flush failures are retried with backoff and which isolate a page for the DLQ; the backoff schedule. */
class FlushFailureTest {

    @Test
    void outagesAndResourceProblemsAreRetriedNotBlamedOnAPage() {
        assertThat(FlushFailure.of(new CompletionException(new StoreException("Qdrant upsert failed: UNAVAILABLE",
                Status.UNAVAILABLE.asRuntimeException())), false)).isEqualTo(FlushFailure.TRANSIENT);
        assertThat(FlushFailure.of(new StoreException("embedded store cannot append: No space left on device"), false))
                .isEqualTo(FlushFailure.TRANSIENT);
        assertThat(FlushFailure.of(new CompletionException(new RejectedExecutionException("shut down")), true))
                .isEqualTo(FlushFailure.TRANSIENT);
        assertThat(FlushFailure.of(new OutOfMemoryError("Java heap space"), true)).isEqualTo(FlushFailure.TRANSIENT);
    }

    @Test
    void aRefusedPointOrAModelFailureIsPageSpecific() {
        FlushFailure refused = FlushFailure.of(new CompletionException(new StoreRejectedException(
                "INVALID_ARGUMENT", Status.INVALID_ARGUMENT.asRuntimeException())), false);
        assertThat(refused).isEqualTo(FlushFailure.STORE_REJECTED);
        assertThat(refused.reason()).isEqualTo("store_rejected");
        assertThat(FlushFailure.of(new IllegalArgumentException("dimension 8, the collection holds 16"), false))
                .isEqualTo(FlushFailure.STORE_REJECTED);
        FlushFailure model = FlushFailure.of(new CompletionException(new IllegalStateException("NaN in output")), true);
        assertThat(model).isEqualTo(FlushFailure.EMBEDDING_FAILED);
        assertThat(model.reason()).isEqualTo("embedding_failed");
    }

    @Test
    void backoffDoublesFromTheInitialDelayUpToTheCapWithJitter() {
        Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));
        assertThat(backoff.ceilingMs(1)).isEqualTo(500);
        assertThat(backoff.ceilingMs(2)).isEqualTo(1_000);
        assertThat(backoff.ceilingMs(7)).isEqualTo(30_000);
        assertThat(backoff.ceilingMs(1_000)).isEqualTo(30_000);
        for (int failures = 1; failures < 12; failures++) {
            long delay = backoff.delayMs(failures);
            assertThat(delay).isBetween(backoff.ceilingMs(failures) / 2, backoff.ceilingMs(failures));
        }
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessageContaining("pagestream.retry");
    }
}
