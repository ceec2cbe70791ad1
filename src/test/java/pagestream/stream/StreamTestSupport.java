package pagestream.stream;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import pagestream.PageStreamConfig;

import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Configuration, waiting and scoring helpers shared by the stream tests. */
final class StreamTestSupport {

    private StreamTestSupport() {
    }

    /** The real configuration mapping with its defaults, plus {@code overrides} ({@code pagestream.*} keys). */
    static PageStreamConfig config(Map<String, String> overrides) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(PageStreamConfig.class)
                .withSources(new PropertiesConfigSource(overrides, "test", 500))
                .build();
        return config.getConfigMapping(PageStreamConfig.class);
    }

    /** Polls {@code condition} until it holds; fails with {@code what} after {@code timeout}. */
    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }
}
