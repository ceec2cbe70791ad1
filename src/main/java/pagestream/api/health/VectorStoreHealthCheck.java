package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import pagestream.store.MultiVectorStore;

/** Readiness: the vector store answers (Qdrant) or its log is writable (embedded). */
@Readiness
@ApplicationScoped
public class VectorStoreHealthCheck implements HealthCheck {

    @Inject
    MultiVectorStore store;

    @Override
    public HealthCheckResponse call() {
        boolean reachable;
        String error = null;
        try {
            reachable = store.isReachable();
        } catch (RuntimeException e) {
            reachable = false;
            error = e.getMessage();
        }
        var response = HealthCheckResponse.named("vector-store").status(reachable);
        return (error == null ? response : response.withData("error", error)).build();
    }
}
