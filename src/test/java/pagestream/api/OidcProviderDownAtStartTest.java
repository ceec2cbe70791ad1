package pagestream.api;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service started while its OIDC provider is down (its port refuses connections), as after a data-centre
 * restart where the service comes up before Keycloak: it must start and serve API-key callers, answer a bearer
 * token with "unavailable" (503), not "unauthenticated", while the provider is away, and accept the provider's
 * tokens once it is back, without a restart.
 */
@QuarkusTest
@Tag("quarkus-oidc-late") // its own surefire execution (JVM): a test profile of its own cannot load PyTorch again
@TestProfile(OidcProviderDownAtStartTest.Profile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OidcProviderDownAtStartTest {

    private static final String API_KEY = "rest-key-for-every-tenant";
    private static final String TENANT = "late-tenant";
    private static final String QUERY = "{\"query\": \"quarterly revenue report\", \"top_k\": 10}";

    private static TestOidcProvider provider;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>(EmbeddedServiceProfile.serviceOnTinyModel(
                    EmbeddedServiceProfile.newDataDir("pagestream-oidc-late-")));
            overrides.putAll(Map.of(
                    "pagestream.api.keys", API_KEY,
                    "pagestream.api.oidc.enabled", "true",
                    "pagestream.api.oidc.verify-timeout", "PT2S",
                    "pagestream.queries.auth", "required"));
            return overrides;
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(ProviderDown.class));
        }
    }

    /** A provider's address and keys, the provider itself closed before the service starts. */
    public static class ProviderDown implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try (TestOidcProvider down = TestOidcProvider.start()) {
                Map<String, String> config = new HashMap<>(down.tokens().config());
                config.put("quarkus.oidc.auth-server-url", down.issuer());
                return config;
            } catch (Exception e) {
                throw new IllegalStateException("cannot create the test OIDC provider", e);
            }
        }

        @Override
        public void stop() {
        }
    }

    @AfterAll
    static void stopProvider() {
        if (provider != null) {
            provider.close();
        }
    }

    private static TestOidcProvider.Tokens tokens() {
        return TestOidcProvider.Tokens.fromConfig(key -> ConfigProvider.getConfig().getValue(key, String.class));
    }

    private static Response search(String header, String value) {
        return RestAssured.given().header(header, value).body(QUERY).post("/search");
    }

    @Test
    @Order(1)
    void theServiceStartedAndServesApiKeyCallers() {
        Response response = search("X-API-Key", API_KEY);
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
        assertThat(response.jsonPath().getList("results")).isEmpty();
    }

    @Test
    @Order(2)
    void aTokenWhileTheProviderIsDownIsUnavailableNotUnauthenticated() {
        Response response = search("Authorization", "Bearer " + tokens().token(TENANT, Duration.ofMinutes(5)));
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(503);
        assertThat(response.jsonPath().getString("error.code")).isEqualTo("unavailable");
    }

    @Test
    @Order(3)
    void onceTheProviderIsBackItsTokensAreAcceptedAndBadOnesRefused() throws Exception {
        TestOidcProvider.Tokens tokens = tokens();
        provider = TestOidcProvider.startFor(tokens);
        String valid = "Bearer " + tokens.token(TENANT, Duration.ofMinutes(5));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Response response = search("Authorization", valid);
        while (response.statusCode() != 200 && System.nanoTime() < deadline) {
            Thread.sleep(500);
            response = search("Authorization", valid);
        }
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
        Response badSignature = search("Authorization", "Bearer " + tokens.badSignature(TENANT));
        assertThat(badSignature.statusCode()).isEqualTo(401);
        assertThat(badSignature.jsonPath().getString("error.code")).isEqualTo("unauthenticated");
    }
}
