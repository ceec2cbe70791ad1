package pagestream.api.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import pagestream.model.ColPaliModel;

/** Readiness: the model is loaded (it loads at start-up; a model that cannot load stops the start). */
@Readiness
@ApplicationScoped
public class ModelHealthCheck implements HealthCheck {

    @Inject
    ColPaliModel model;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("model").up().withData("id", model.id())
                .withData("embedding-dim", model.embeddingDim()).withData("image-size", model.imageSize()).build();
    }
}
