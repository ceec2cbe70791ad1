package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Readiness: Kafka Streams is RUNNING (pages flow, queries are answered), not starting or rebalancing. */
@Readiness
@ApplicationScoped
public class KafkaStreamsReadiness implements HealthCheck {

    @Inject
    StreamsStateListener streams;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("kafka-streams").status(streams.state() == KafkaStreams.State.RUNNING)
                .withData("state", String.valueOf(streams.state())).build();
    }
}
