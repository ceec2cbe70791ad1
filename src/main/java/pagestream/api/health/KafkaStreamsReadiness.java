package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import pagestream.api.QueryStreams;

/**
 * Readiness: both Kafka Streams applications are RUNNING (pages flow, queries are answered), neither starting nor
 * rebalancing. {@code state} is the ingestion instance's, {@code queries-state} the query instance's.
 */
@Readiness
@ApplicationScoped
public class KafkaStreamsReadiness implements HealthCheck {

    @Inject
    StreamsStateListener ingestion;

    @Inject
    QueryStreams queries;

    @Override
    public HealthCheckResponse call() {
        StreamsState query = queries.state();
        return HealthCheckResponse.named("kafka-streams").status(ingestion.running() && query.running())
                .withData("state", String.valueOf(ingestion.state()))
                .withData("queries-state", String.valueOf(query.state())).build();
    }
}
