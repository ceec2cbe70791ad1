package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.streams.KafkaStreams;
import org.jboss.logging.Logger;

/**
 * Kafka Streams' state listener (the extension installs the one bean of this type): logs every transition and
 * remembers whether the pipeline has ever been RUNNING, which is what the start-up check waits for.
 */
@ApplicationScoped
public class StreamsStateListener implements KafkaStreams.StateListener {

    private static final Logger LOG = Logger.getLogger(StreamsStateListener.class);

    private volatile boolean hasRun;

    @Override
    public void onChange(KafkaStreams.State newState, KafkaStreams.State oldState) {
        if (newState == KafkaStreams.State.RUNNING) {
            hasRun = true;
        }
        if (newState == KafkaStreams.State.ERROR) {
            LOG.errorf("Kafka Streams %s -> %s: pages are no longer ingested", oldState, newState);
        } else {
            LOG.infof("Kafka Streams %s -> %s", oldState, newState);
        }
    }

    public boolean hasRun() {
        return hasRun;
    }
}
