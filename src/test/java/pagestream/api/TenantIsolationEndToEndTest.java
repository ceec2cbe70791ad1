package pagestream.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import pagestream.store.MultiVectorStore;

import java.util.Map;

/**
 * Tenant isolation through the running service on the embedded store, over both query paths: a Kafka query and
 * {@code POST /search} for tenant A never return tenant B's pages, and no filter shape widens the view
 * ({@link TenantIsolationScenario}). {@link SecuredServiceTest} runs the same scenario on Qdrant.
 */
@QuarkusTest
@Tag("quarkus")
@TestProfile(EmbeddedServiceProfile.class)
class TenantIsolationEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    MultiVectorStore store;

    @Test
    void aTenantFilterNeverWidensOverKafkaOrHttp() throws Exception {
        TenantIsolationScenario scenario = new TenantIsolationScenario("isolation");
        String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
        try (KafkaQueryClient kafka = new KafkaQueryClient(Map.of("bootstrap.servers", bootstrap), "isolation.replies")) {
            scenario.ingest(kafka, store);
            scenario.assertIsolated(kafka::ask);
        }
        scenario.assertIsolated(body -> JSON.readTree(RestAssured.given().body(body).post("/search")
                .then().extract().asByteArray()));
    }
}
