package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness: Kafka Streams is RUNNING (pages flow and queries are answered). Liveness, through
 * {@link Alive}: it has not failed for good — a rebalance or a start-up wait is alive, ERROR is not.
 */
@Readiness
@ApplicationScoped
public class KafkaStreamsHealthCheck implements HealthCheck {

    static final String NAME = "kafka-streams";

    @Inject
    Instance<KafkaStreams> streams;

    @Override
    public HealthCheckResponse call() {
        KafkaStreams.State state = state();
        return HealthCheckResponse.named(NAME).status(state == KafkaStreams.State.RUNNING)
                .withData("state", String.valueOf(state)).build();
    }

    /** {@code null} while the extension has not created Kafka Streams (no topology, or not started yet). */
    KafkaStreams.State state() {
        KafkaStreams kafkaStreams = streams.isResolvable() ? streams.get() : null;
        return kafkaStreams == null ? null : kafkaStreams.state();
    }

    @Liveness
    @ApplicationScoped
    public static class Alive implements HealthCheck {

        @Inject
        KafkaStreamsHealthCheck readiness;

        @Override
        public HealthCheckResponse call() {
            KafkaStreams.State state = readiness.state();
            // NOT_RUNNING / PENDING_SHUTDOWN while the application is up: the stream threads died and were shut down.
            boolean failed = state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR
                    || state == KafkaStreams.State.NOT_RUNNING || state == KafkaStreams.State.PENDING_SHUTDOWN;
            return HealthCheckResponse.named(NAME).status(!failed).withData("state", String.valueOf(state)).build();
        }
    }
}
