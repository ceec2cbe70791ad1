package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/** Liveness: Kafka Streams has not failed for good (a rebalance or a start-up wait is alive; ERROR is not). */
@Liveness
@ApplicationScoped
public class KafkaStreamsLiveness implements HealthCheck {

    @Inject
    StreamsStateListener streams;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("kafka-streams").status(!streams.failed())
                .withData("state", String.valueOf(streams.state())).build();
    }
}
