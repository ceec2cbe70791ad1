package pagestream.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import pagestream.kafka.BrokerSecurity;
import pagestream.store.MultiVectorStore;
import pagestream.store.StoreException;
import pagestream.store.qdrant.QdrantMultiVectorStore;
import pagestream.store.qdrant.QdrantStoreOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static pagestream.api.SecuredServiceProfile.ADMIN_API_KEY;
import static pagestream.api.SecuredServiceProfile.BOUND_TENANT;
import static pagestream.api.SecuredServiceProfile.TENANT_API_KEY;

/**
 * The service with everything secured ({@link SecuredServiceProfile}): Kafka over SASL_SSL/SCRAM-SHA-512, Qdrant
 * over TLS with an API key, {@code POST /search} and Kafka queries behind API keys or OIDC tokens
 * ({@link TestOidcProvider}). Pages flow and queries are answered over both paths, tenants stay apart on Qdrant,
 * callers are bound to their tenant, wrong credentials are refused, and at the end no secret and no token appears in
 * the service's log (Kafka's config dumps included) or in any reply.
 */
@QuarkusTest
@Tag("quarkus-secured") // its own surefire execution (JVM): a second test profile could not load PyTorch again
@TestProfile(SecuredServiceProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecuredServiceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Every reply and error body the service sent in this test, checked for secrets at the end. */
    private static final List<String> REPLIES = new ArrayList<>();
    /** Every OIDC token sent in this test, checked for at the end like the other secrets. */
    private static final List<String> TOKENS = new ArrayList<>();
    private static final String NO_FILTER = "{\"query\": \"quarterly revenue report\", \"top_k\": 100}";

    private static KafkaQueryClient kafka;

    @Inject
    MultiVectorStore store;

    @BeforeAll
    static void connect() throws Exception {
        // pagestream.queries.auth=required: the client's query events carry the key for every tenant.
        kafka = new KafkaQueryClient(kafkaClientConfig(SecuredServiceProfile.KAFKA_PASSWORD), "secured.replies",
                "Bearer " + ADMIN_API_KEY);
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    /** A client as a user configures one: the service's own {@code kafka.*} settings, with {@code password}. */
    private static Map<String, Object> kafkaClientConfig(String password) {
        Config config = ConfigProvider.getConfig();
        Map<String, Object> client = new HashMap<>();
        for (String key : List.of("bootstrap.servers", "security.protocol", "sasl.mechanism", "ssl.truststore.type",
                "ssl.truststore.location")) {
            client.put(key, config.getValue("kafka." + key, String.class));
        }
        client.put("sasl.jaas.config", BrokerSecurity.jaasConfig(SecuredServiceProfile.KAFKA_USER, password));
        return client;
    }

    private static Response post(String body, String header, String value) {
        var request = RestAssured.given().body(body);
        if (header != null) {
            request = request.header(header, value);
        }
        Response response = request.post("/search");
        REPLIES.add(response.asString());
        return response;
    }

    private static TestOidcProvider.Tokens tokens() {
        return TestOidcProvider.Tokens.fromConfig(key -> ConfigProvider.getConfig().getValue(key, String.class));
    }

    private static String sent(String token) {
        TOKENS.add(token);
        return "Bearer " + token;
    }

    private static JsonNode search(String body) throws Exception {
        return JSON.readTree(post(body, "X-API-Key", ADMIN_API_KEY).asByteArray());
    }

    @Test
    @Order(1)
    void pagesAndQueriesFlowOverSaslSslAndQdrantTlsAndTenantsStayApart() throws Exception {
        TenantIsolationScenario scenario = new TenantIsolationScenario("secured");
        scenario.ingest(kafka, store);
        for (JsonNode reply : scenario.assertIsolated(kafka::ask)) {
            REPLIES.add(reply.toString());
        }
        scenario.assertIsolated(SecuredServiceTest::search);
    }

    @Test
    @Order(2)
    void aTenantBoundKeyQueriesItsTenantOnly() throws Exception {
        TenantIsolationScenario bound = new TenantIsolationScenario("bound");
        kafka.sendPage("bound-own", TestPages.png(), BOUND_TENANT);
        kafka.sendPage("bound-other", TestPages.png(), bound.b);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (store.count(pagestream.store.SearchFilter.tenant(BOUND_TENANT)) < 1
                || store.count(pagestream.store.SearchFilter.tenant(bound.b)) < 1) {
            assertThat(System.nanoTime()).as("pages stored in time").isLessThan(deadline);
            Thread.sleep(100);
        }
        String noFilter = "{\"query\": \"quarterly revenue report\", \"top_k\": 100}";
        for (String body : List.of(noFilter, TenantIsolationScenario.query("null"),
                TenantIsolationScenario.query("{\"tenant\": null}"),
                TenantIsolationScenario.query("{\"tenant\": \"" + BOUND_TENANT + "\"}"))) {
            Response response = post(body, "Authorization", "Bearer " + TENANT_API_KEY);
            assertThat(response.statusCode()).as(body).isEqualTo(200);
            assertThat(TenantIsolationScenario.docsOf(JSON.readTree(response.asByteArray()))).as(body)
                    .containsExactly("bound-own");
        }
        Response other = post(TenantIsolationScenario.query("{\"tenant\": \"" + bound.b + "\"}"), "X-API-Key",
                TENANT_API_KEY);
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.jsonPath().getString("error.code")).isEqualTo("forbidden");
        Response otherDoc = post(TenantIsolationScenario.query("{\"doc_id\": \"bound-other\"}"), "X-API-Key",
                TENANT_API_KEY);
        assertThat(TenantIsolationScenario.docsOf(JSON.readTree(otherDoc.asByteArray()))).isEmpty();
        // The same query with the key for every tenant sees the other tenant's document: the binding did that.
        assertThat(TenantIsolationScenario.docsOf(search(TenantIsolationScenario.query("{\"doc_id\": \"bound-other\"}"))))
                .containsExactly("bound-other");
    }

    @Test
    @Order(3)
    void searchNeedsAValidApiKeyWhileHealthAndMetricsStayOpen() {
        String body = TenantIsolationScenario.query("{\"tenant\": \"" + BOUND_TENANT + "\"}");
        Response missing = post(body, null, null);
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.header("WWW-Authenticate")).isEqualTo("Bearer");
        assertThat(missing.jsonPath().getString("error.code")).isEqualTo("unauthenticated");
        assertThat(missing.jsonPath().getString("error.message")).contains("X-API-Key");
        for (String[] wrong : List.of(new String[] {"X-API-Key", ADMIN_API_KEY + "x"},
                new String[] {"X-API-Key", ADMIN_API_KEY.substring(1)},
                new String[] {"Authorization", "Bearer " + ADMIN_API_KEY.toUpperCase()},
                new String[] {"Authorization", "Basic " + ADMIN_API_KEY})) {
            Response refused = post(body, wrong[0], wrong[1]);
            assertThat(refused.statusCode()).as(wrong[1]).isEqualTo(401);
            assertThat(refused.jsonPath().getString("error.code")).isEqualTo("unauthenticated");
        }
        assertThat(post(body, "Authorization", "Bearer " + ADMIN_API_KEY).statusCode()).isEqualTo(200);
        RestAssured.given().get("/q/health/ready").then().statusCode(200);
        RestAssured.given().get("/q/metrics").then().statusCode(200);
    }

    @Test
    @Order(4)
    void aBodyOverTheLimitGets413WithAJsonError() {
        String huge = TenantIsolationScenario.query("{\"tenant\": \"" + "x".repeat(70_000) + "\"}");
        Response response = post(huge, "X-API-Key", ADMIN_API_KEY);
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.contentType()).startsWith("application/json");
        assertThat(response.jsonPath().getString("error.code")).isEqualTo("oversize");
        assertThat(response.jsonPath().getString("error.message")).contains("quarkus.http.limits.max-body-size");
        // Without a key the size does not matter: nothing is read from an unauthenticated caller.
        assertThat(post(huge, null, null).statusCode()).isEqualTo(401);
    }

    /** Uses the pages of {@link #aTenantBoundKeyQueriesItsTenantOnly}: "bound-own" (BOUND_TENANT), "bound-other". */
    @Test
    @Order(5)
    void anOidcTokenIsVerifiedAndBindsTheCallerToItsTenantClaim() throws Exception {
        TestOidcProvider.Tokens tokens = tokens();
        String otherTenant = new TenantIsolationScenario("bound").b;
        String boundToken = sent(tokens.token(BOUND_TENANT, Duration.ofMinutes(5)));
        String ownFilter = TenantIsolationScenario.query("{\"tenant\": \"" + BOUND_TENANT + "\"}");
        for (String body : List.of(NO_FILTER, ownFilter)) {
            Response response = post(body, "Authorization", boundToken);
            assertThat(response.statusCode()).as(body).isEqualTo(200);
            assertThat(TenantIsolationScenario.docsOf(JSON.readTree(response.asByteArray())))
                    .containsExactly("bound-own");
        }
        Response other = post(TenantIsolationScenario.query("{\"tenant\": \"" + otherTenant + "\"}"), "Authorization",
                boundToken);
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.jsonPath().getString("error.code")).isEqualTo("forbidden");
        Response otherToken = post(NO_FILTER, "Authorization", sent(tokens.token(otherTenant, Duration.ofMinutes(5))));
        assertThat(TenantIsolationScenario.docsOf(JSON.readTree(otherToken.asByteArray())))
                .containsExactly("bound-other");

        Map<String, String> invalid = Map.of("bad signature", tokens.badSignature(BOUND_TENANT),
                "another issuer", tokens.fromAnotherIssuer(BOUND_TENANT), "expired", tokens.expired(BOUND_TENANT),
                "not a JWT", "not-a-key-nor-a-jwt-0123456789");
        for (Map.Entry<String, String> token : invalid.entrySet()) {
            Response refused = post(NO_FILTER, "Authorization", sent(token.getValue()));
            assertThat(refused.statusCode()).as(token.getKey()).isEqualTo(401);
            assertThat(refused.header("WWW-Authenticate")).isEqualTo("Bearer");
            assertThat(refused.jsonPath().getString("error.code")).as(token.getKey()).isEqualTo("unauthenticated");
        }
        Response noTenant = post(NO_FILTER, "Authorization", sent(tokens.token(null, Duration.ofMinutes(5))));
        assertThat(noTenant.statusCode()).isEqualTo(403);
        assertThat(post(NO_FILTER, null, null).statusCode()).isEqualTo(401);
    }

    @Test
    @Order(6)
    void aKafkaQueryCarriesItsCallersKeyOrTokenAndIsBoundToItsTenant() throws Exception {
        TestOidcProvider.Tokens tokens = tokens();
        String otherTenant = new TenantIsolationScenario("bound").b;
        String boundToken = sent(tokens.token(BOUND_TENANT, Duration.ofMinutes(5)));
        for (String authorization : List.of(boundToken, "Bearer " + TENANT_API_KEY)) {
            JsonNode reply = kafka.ask(NO_FILTER, authorization);
            REPLIES.add(reply.toString());
            assertThat(TenantIsolationScenario.docsOf(reply)).containsExactly("bound-own");
        }
        String otherFilter = TenantIsolationScenario.query("{\"tenant\": \"" + otherTenant + "\"}");
        Map<String, String[]> refusals = Map.of(
                "no header", new String[] {NO_FILTER, null, "unauthenticated"},
                "expired token", new String[] {NO_FILTER, sent(tokens.expired(BOUND_TENANT)), "unauthenticated"},
                "wrong key", new String[] {NO_FILTER, "Bearer " + ADMIN_API_KEY + "x", "unauthenticated"},
                "another tenant", new String[] {otherFilter, boundToken, "forbidden"});
        for (Map.Entry<String, String[]> refusal : refusals.entrySet()) {
            String[] c = refusal.getValue();
            JsonNode reply = kafka.ask(c[0], c[1]);
            REPLIES.add(reply.toString());
            assertThat(reply.at("/error/code").asText()).as(refusal.getKey()).isEqualTo(c[2]);
        }
        // Without a reply path a refused query is dead-lettered with the reason, its credential left out.
        assertThat(kafka.deadLetter(NO_FILTER, null).lastHeader("dead-letter-reason").value())
                .asString(StandardCharsets.UTF_8).isEqualTo("unauthenticated");
        Headers forbidden = kafka.deadLetter(otherFilter, boundToken);
        assertThat(forbidden.lastHeader("dead-letter-reason").value()).asString(StandardCharsets.UTF_8)
                .isEqualTo("forbidden");
        assertThat(forbidden.lastHeader("authorization") == null).as("authorization header dead-lettered").isTrue();
    }

    @Test
    @Order(7)
    void wrongKafkaAndQdrantCredentialsAreRefused() throws Exception {
        try (Admin admin = Admin.create(kafkaClientConfig("not-the-password"))) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SaslAuthenticationException.class);
        }
        Config config = ConfigProvider.getConfig();
        QdrantStoreOptions wrongKey = QdrantStoreOptions.local("localhost",
                        config.getValue("pagestream.store.qdrant.port", Integer.class))
                .withTls(Path.of(config.getValue("pagestream.store.qdrant.ca-certificate", String.class)))
                .withApiKey("qdrant-wrong-key-0000");
        try (QdrantMultiVectorStore wrong = new QdrantMultiVectorStore(wrongKey)) {
            assertThatThrownBy(() -> wrong.ensureCollection(16)).isInstanceOf(StoreException.class)
                    .hasMessageContaining("UNAUTHENTICATED");
        }
    }

    /** After this the provider's JWKS endpoint hangs: OIDC tests go before it. */
    @Test
    @Order(8)
    void aHangingOidcProviderCostsAnUnavailableErrorNotAStuckStreamThread() throws Exception {
        TestOidcProvider.Tokens tokens = tokens();
        String known = sent(tokens.token(BOUND_TENANT, Duration.ofMinutes(5)));
        assertThat(TenantIsolationScenario.docsOf(kafka.ask(NO_FILTER, known))).containsExactly("bound-own");
        String issuer = ConfigProvider.getConfig().getValue("quarkus.oidc.auth-server-url", String.class);
        HttpResponse<String> outage = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(issuer + "/outage")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(outage.statusCode()).isEqualTo(200);

        // A key the service has not seen: verifying it needs the (hanging) JWKS; verify-timeout is 2 s.
        long start = System.nanoTime();
        JsonNode unverifiable = kafka.ask(NO_FILTER, sent(tokens.unknownKey(BOUND_TENANT)));
        REPLIES.add(unverifiable.toString());
        assertThat(unverifiable.at("/error/code").asText()).isEqualTo("unavailable");
        assertThat(unverifiable.at("/error/message").asText()).contains("OIDC provider reachable");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        // The stream threads go on answering, and tokens signed by a known key still verify without the provider.
        assertThat(TenantIsolationScenario.docsOf(kafka.ask(NO_FILTER, known))).containsExactly("bound-own");
        Response fresh = post(NO_FILTER, "Authorization", sent(tokens.token(BOUND_TENANT, Duration.ofMinutes(5))));
        assertThat(fresh.statusCode()).isEqualTo(200);
    }

    /** After this the provider is down: its port refuses connections. */
    @Test
    @Order(9)
    void anOidcProviderThatRefusesConnectionsCostsAnUnavailableErrorAndABadTokenStaysUnauthenticated()
            throws Exception {
        TestOidcProvider.Tokens tokens = tokens();
        URI issuer = URI.create(ConfigProvider.getConfig().getValue("quarkus.oidc.auth-server-url", String.class));
        HttpResponse<String> shutdown = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(issuer + "/shutdown")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(shutdown.statusCode()).isEqualTo(200);
        awaitConnectionRefused(issuer);

        // Keys the service has not seen: verifying them needs the provider's JWKS, which cannot be fetched.
        JsonNode unverifiable = kafka.ask(NO_FILTER, sent(tokens.unknownKey(BOUND_TENANT)));
        REPLIES.add(unverifiable.toString());
        assertThat(unverifiable.at("/error/code").asText()).isEqualTo("unavailable");
        assertThat(unverifiable.at("/error/message").asText()).contains("OIDC provider could not be reached");
        Response rest = post(NO_FILTER, "Authorization", sent(tokens.unknownKey(BOUND_TENANT)));
        assertThat(rest.statusCode()).isEqualTo(503);
        assertThat(rest.jsonPath().getString("error.code")).isEqualTo("unavailable");
        // A token bad on its own is still called bad, on both paths: the keys the service holds tell.
        Response badSignature = post(NO_FILTER, "Authorization", sent(tokens.badSignature(BOUND_TENANT)));
        assertThat(badSignature.statusCode()).isEqualTo(401);
        assertThat(badSignature.jsonPath().getString("error.code")).isEqualTo("unauthenticated");
        JsonNode expired = kafka.ask(NO_FILTER, sent(tokens.expired(BOUND_TENANT)));
        REPLIES.add(expired.toString());
        assertThat(expired.at("/error/code").asText()).isEqualTo("unauthenticated");
        // And a valid token signed by a known key needs no provider.
        Response valid = post(NO_FILTER, "Authorization", sent(tokens.token(BOUND_TENANT, Duration.ofMinutes(5))));
        assertThat(valid.statusCode()).isEqualTo(200);
    }

    private static void awaitConnectionRefused(URI uri) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
                Thread.sleep(50);
            } catch (ConnectException refused) {
                return;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new AssertionError(uri + " still accepts connections");
    }

    /** Last: everything above has run, failures included, with the service logging at INFO and DEBUG. */
    @Test
    @Order(10)
    void noSecretAppearsInTheLogOrInAnyReply() throws Exception {
        Path logFile = Path.of(ConfigProvider.getConfig().getValue("quarkus.log.file.path", String.class));
        String log = Files.readString(logFile, StandardCharsets.UTF_8);
        // The log did capture what could leak: Kafka's client config dumps (passwords masked) and the refusal.
        assertThat(log).contains("sasl.jaas.config = [hidden]").contains("ssl.keystore.password = [hidden]")
                .contains("invalid credentials with SASL mechanism SCRAM-SHA-512")
                // ...and Quarkus OIDC at DEBUG, JWKS refreshes included (it prints refused tokens whole there).
                .contains("Get verification JWT Key Set");
        assertThat(REPLIES).hasSizeGreaterThan(20);
        assertThat(TOKENS).hasSizeGreaterThan(8);
        List<String> secrets = new ArrayList<>(SecuredServiceProfile.secrets());
        secrets.addAll(TOKENS);
        // A token's signature alone is as good as the token for anyone comparing logs: look for it too.
        TOKENS.forEach(token -> secrets.add(token.substring(token.lastIndexOf('.') + 1)));
        for (String secret : secrets) {
            assertThat(log).as("the service log").doesNotContain(secret);
            assertThat(REPLIES).as("replies").noneMatch(reply -> reply.contains(secret));
        }
    }
}
