package pagestream.api;

import jakarta.inject.Singleton;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.jboss.logging.Logger;
import pagestream.store.StoreException;
import pagestream.stream.IngestionStalledException;

/**
 * What Kafka Streams does when a stream thread throws ({@code quarkus-kafka-streams} installs the one bean of this
 * type; {@link InProcessPipeline} sets it too). A stalled ingestion (the page buffer full while the store keeps
 * failing) or a store failure aborts the thread's transaction on purpose: the thread is replaced, restores the
 * buffer from its changelog and waits again, so an outage longer than {@code pagestream.retry.max-block} costs a
 * rebalance, not the application. Anything else is a bug or a broken broker: the client shuts down, liveness
 * reports it and the orchestrator restarts the process (Kafka Streams' default).
 */
@Singleton
public class StreamThreadReplacer implements StreamsUncaughtExceptionHandler {

    private static final Logger LOG = Logger.getLogger(StreamThreadReplacer.class);

    @Override
    public StreamThreadExceptionResponse handle(Throwable exception) {
        if (isOutage(exception)) {
            LOG.warnf("stream thread stopped while the vector store is failing (%s); replacing it", exception.getMessage());
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        }
        LOG.error("stream thread failed; shutting Kafka Streams down", exception);
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }

    static boolean isOutage(Throwable exception) {
        for (Throwable t = exception; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IngestionStalledException || t instanceof StoreException) {
                return true;
            }
        }
        return false;
    }
}
