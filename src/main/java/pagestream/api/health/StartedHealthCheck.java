package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;
import pagestream.api.QueryStreams;

/**
 * Start-up check: both Kafka Streams applications have been RUNNING once (the model and store are up before either is
 * created). Until then an orchestrator should wait rather than apply liveness, since the first start restores state
 * and may take long.
 */
@Startup
@ApplicationScoped
public class StartedHealthCheck implements HealthCheck {

    @Inject
    StreamsStateListener ingestion;

    @Inject
    QueryStreams queries;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("kafka-streams-started")
                .status(ingestion.hasRun() && queries.state().hasRun()).build();
    }
}
