package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import pagestream.api.QueryStreams;

/**
 * Liveness: neither Kafka Streams application has failed for good (a rebalance or a start-up wait is alive; ERROR
 * is not).
 */
@Liveness
@ApplicationScoped
public class KafkaStreamsLiveness implements HealthCheck {

    @Inject
    StreamsStateListener ingestion;

    @Inject
    QueryStreams queries;

    @Override
    public HealthCheckResponse call() {
        StreamsState query = queries.state();
        return HealthCheckResponse.named("kafka-streams").status(!ingestion.failed() && !query.failed())
                .withData("state", String.valueOf(ingestion.state()))
                .withData("queries-state", String.valueOf(query.state())).build();
    }
}
