package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import pagestream.store.MultiVectorStore;

/**
 * Readiness: the vector store answers (Qdrant) or its log is writable (embedded), and its last write did not fail
 * for a reason other than its content ({@link MultiVectorStore#isReachable()}): DOWN during an outage, a full or
 * read-only disk, until a retried flush gets through.
 */
@Readiness
@ApplicationScoped
public class VectorStoreHealthCheck implements HealthCheck {

    private final MultiVectorStore store;

    @Inject
    public VectorStoreHealthCheck(MultiVectorStore store) {
        this.store = store;
    }

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
