package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.streams.KafkaStreams;
import org.jboss.logging.Logger;

/**
 * Kafka Streams' state listener (the extension installs the one bean of this type): logs every transition and
 * keeps the current state and whether the pipeline has ever been RUNNING, for the health checks.
 */
@ApplicationScoped
public class StreamsStateListener implements KafkaStreams.StateListener {

    private static final Logger LOG = Logger.getLogger(StreamsStateListener.class);

    private volatile KafkaStreams.State state;
    private volatile boolean hasRun;

    @Override
    public void onChange(KafkaStreams.State newState, KafkaStreams.State oldState) {
        state = newState;
        if (newState == KafkaStreams.State.RUNNING) {
            hasRun = true;
        }
        if (newState == KafkaStreams.State.ERROR) {
            LOG.errorf("Kafka Streams %s -> %s: pages are no longer ingested", oldState, newState);
        } else {
            LOG.infof("Kafka Streams %s -> %s", oldState, newState);
        }
    }

    /** {@code null} until Kafka Streams starts. */
    public KafkaStreams.State state() {
        return state;
    }

    public boolean hasRun() {
        return hasRun;
    }

    /** Stopped for good while the application is up: the stream threads died and were shut down, or ERROR. */
    public boolean failed() {
        KafkaStreams.State s = state;
        return s == KafkaStreams.State.ERROR || s == KafkaStreams.State.PENDING_ERROR
                || s == KafkaStreams.State.NOT_RUNNING || s == KafkaStreams.State.PENDING_SHUTDOWN;
    }
}
