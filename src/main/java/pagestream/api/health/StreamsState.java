package pagestream.api.health;

import org.apache.kafka.streams.KafkaStreams;
import org.jboss.logging.Logger;

/**
 * The state of one {@code KafkaStreams} instance, as its state listener: logs every transition and keeps the current
 * state and whether the instance has ever been RUNNING, for the health checks. Not a CDI bean itself:
 * {@code quarkus-kafka-streams} installs the one bean of type {@code StateListener} ({@link StreamsStateListener})
 * on the instance it manages; the query application's instance gets its own.
 */
public class StreamsState implements KafkaStreams.StateListener {

    private static final Logger LOG = Logger.getLogger(StreamsState.class);

    private final String name;
    private final String failureConsequence;
    private volatile KafkaStreams.State state;
    private volatile boolean hasRun;

    /** {@code name} and {@code failureConsequence} ("pages are no longer ingested") go into the log lines. */
    public StreamsState(String name, String failureConsequence) {
        this.name = name;
        this.failureConsequence = failureConsequence;
    }

    @Override
    public void onChange(KafkaStreams.State newState, KafkaStreams.State oldState) {
        state = newState;
        if (newState == KafkaStreams.State.RUNNING) {
            hasRun = true;
        }
        if (newState == KafkaStreams.State.ERROR) {
            LOG.errorf("%s %s -> %s: %s", name, oldState, newState, failureConsequence);
        } else {
            LOG.infof("%s %s -> %s", name, oldState, newState);
        }
    }

    /** {@code null} until the instance starts. */
    public KafkaStreams.State state() {
        return state;
    }

    public boolean running() {
        return state == KafkaStreams.State.RUNNING;
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
