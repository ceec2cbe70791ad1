package pagestream.api;

import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;
import pagestream.store.StoreException;
import pagestream.stream.IngestionStalledException;

import static org.assertj.core.api.Assertions.assertThat;

class StreamThreadReplacerTest {

    private final StreamThreadReplacer handler = new StreamThreadReplacer();

    @Test
    void aStalledIngestionOrAStoreFailureReplacesTheThread() {
        assertThat(handler.handle(new StreamsException(new IngestionStalledException("buffer full", null))))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(handler.handle(new StreamsException("task failed", new StoreException("Qdrant delete failed"))))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }

    @Test
    void anythingElseShutsTheClientDown() {
        assertThat(handler.handle(new StreamsException(new NullPointerException("bug"))))
                .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }
}
