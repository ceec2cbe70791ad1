package pagestream.embed;

import org.junit.jupiter.api.Test;

import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tests run with the JVM flags of {@link BackgroundPriority#JVM_FLAGS} (pom.xml's {@code pagestream.jvm.flags},
 * as the images do), so Java priorities reach Linux: a background thread is at nice 19, and so are the threads it
 * starts; other threads keep theirs.
 */
class BackgroundPriorityTest {

    private record Observed(int priority, OptionalInt nice, int childPriority, OptionalInt childNice) {
    }

    @Test
    void aBackgroundThreadAndTheThreadsItStartsRunAtNice19() throws Exception {
        CompletableFuture<Observed> observed = new CompletableFuture<>();
        Thread background = new Thread(() -> {
            try {
                BackgroundPriority.enter();
                CompletableFuture<OptionalInt> childNice = new CompletableFuture<>();
                Thread child = new Thread(() -> childNice.complete(BackgroundPriority.currentNice()));
                child.start();
                observed.complete(new Observed(Thread.currentThread().getPriority(), BackgroundPriority.currentNice(),
                        child.getPriority(), childNice.get(10, TimeUnit.SECONDS)));
            } catch (Exception | Error e) {
                observed.completeExceptionally(e);
            }
        });
        background.start();
        Observed result = observed.get(10, TimeUnit.SECONDS);

        assertThat(result.priority()).isEqualTo(Thread.MIN_PRIORITY);
        assertThat(result.childPriority()).isEqualTo(Thread.MIN_PRIORITY);
        assertThat(result.nice()).as("needs the JVM flags %s", BackgroundPriority.JVM_FLAGS).hasValue(19);
        assertThat(result.childNice()).hasValue(19);
        assertThat(BackgroundPriority.currentNice().orElseThrow()).as("the test thread, untouched").isLessThan(19);
    }
}
