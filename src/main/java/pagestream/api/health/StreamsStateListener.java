package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The state listener {@code quarkus-kafka-streams} installs on the ingestion instance it manages (the one CDI bean of
 * type {@code KafkaStreams.StateListener}).
 */
@ApplicationScoped
public class StreamsStateListener extends StreamsState {

    public StreamsStateListener() {
        super("Kafka Streams (ingestion)", "pages are no longer ingested");
    }
}
