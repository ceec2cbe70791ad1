package pagestream.api;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;
import pagestream.kafka.BrokerSecurity;
import pagestream.store.qdrant.QdrantTestServer;
import pagestream.store.qdrant.SelfSignedCertificate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The service configured as in production, everything secured: the (embedded) broker's listener is SASL_SSL with
 * SCRAM-SHA-512 and the service reaches it through the standard {@code kafka.*} / {@code kafka-streams.*} security
 * settings, trusting the certificate's PEM; the store is Qdrant over TLS with an API key; {@code POST /search} and
 * Kafka query events ({@code pagestream.queries.auth=required}) need an API key (one for every tenant, one bound to
 * a tenant) or an OIDC access token from {@link TestOidcProvider}, whose {@code tenant} claim binds the caller.
 * Every log record goes to a file at INFO (DEBUG for the service, the Qdrant client, gRPC and Quarkus OIDC), so the
 * test can look for the secrets in it.
 */
public class SecuredServiceProfile implements QuarkusTestProfile {

    static final String KAFKA_USER = "pagestream";
    static final String KAFKA_PASSWORD = "kafka-SECRET-3f9a1c7e";
    static final String QDRANT_API_KEY = "qdrant-SECRET-8b2d4e6f";
    static final String ADMIN_API_KEY = "rest-SECRET-admin-5d1e9a0b";
    static final String TENANT_API_KEY = "rest-SECRET-tenant-c4a7f2e1";
    static final String BOUND_TENANT = "bound-tenant";

    static List<String> secrets() {
        return List.of(KAFKA_PASSWORD, QDRANT_API_KEY, ADMIN_API_KEY, TENANT_API_KEY);
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        Path dataDir = EmbeddedServiceProfile.newDataDir("pagestream-secured-");
        Map<String, String> overrides = new HashMap<>(EmbeddedServiceProfile.serviceOnTinyModel(dataDir));
        overrides.putAll(Map.ofEntries(
                Map.entry("pagestream.api.keys", ADMIN_API_KEY),
                Map.entry("pagestream.api.tenant-keys", BOUND_TENANT + ":" + TENANT_API_KEY),
                Map.entry("pagestream.api.oidc.enabled", "true"),
                Map.entry("pagestream.api.oidc.verify-timeout", "PT2S"),
                // A token signed by a key the JWKS lacks fetches the JWKS again every time (by default at most once
                // in 10 minutes, then it is refused without asking): each outage test reaches the provider.
                Map.entry("quarkus.oidc.token.forced-jwk-refresh-interval", "PT0S"),
                Map.entry("pagestream.queries.auth", "required"),
                Map.entry("quarkus.log.category.\"io.quarkus.oidc\".level", "DEBUG"),
                Map.entry("quarkus.log.file.enabled", "true"),
                Map.entry("quarkus.log.file.path", dataDir.resolve("service.log").toString()),
                Map.entry("quarkus.log.console.level", "WARN"),
                Map.entry("quarkus.log.category.\"org.apache.kafka\".level", "INFO"),
                Map.entry("quarkus.log.category.\"kafka\".level", "INFO"),
                // Quarkus quiets Kafka's config dumps; here they must be seen (and masked).
                Map.entry("quarkus.log.category.\"org.apache.kafka.common.config\".level", "INFO"),
                Map.entry("quarkus.log.category.\"org.apache.kafka.clients\".level", "INFO"),
                Map.entry("quarkus.log.category.\"org.apache.kafka.common.security\".level", "DEBUG"),
                Map.entry("quarkus.log.category.\"pagestream\".level", "DEBUG"),
                Map.entry("quarkus.log.category.\"io.qdrant\".level", "DEBUG"),
                Map.entry("quarkus.log.category.\"io.grpc\".level", "DEBUG")));
        return overrides;
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(SecuredInfrastructure.class));
    }

    /** A certificate for localhost, Qdrant requiring TLS and its API key, and the settings that reach both. */
    public static class SecuredInfrastructure implements QuarkusTestResourceLifecycleManager {

        private QdrantTestServer qdrant;
        private TestOidcProvider oidc;

        @Override
        public Map<String, String> start() {
            try {
                Path dir = Files.createTempDirectory("pagestream-secured-certs-");
                SelfSignedCertificate cert = SelfSignedCertificate.create(dir);
                qdrant = QdrantTestServer.start(cert.serverCredentials(), QDRANT_API_KEY);
                oidc = TestOidcProvider.start();
                Map<String, String> config = new HashMap<>(oidc.tokens().config());
                config.put("quarkus.oidc.auth-server-url", oidc.issuer());
                config.put("pagestream.embedded-kafka.sasl-ssl.key-store", cert.keyStore().toString());
                config.put("pagestream.embedded-kafka.sasl-ssl.key-store-password", cert.keyStorePassword());
                config.put("pagestream.embedded-kafka.sasl-ssl.username", KAFKA_USER);
                config.put("pagestream.embedded-kafka.sasl-ssl.password", KAFKA_PASSWORD);
                for (String prefix : List.of("kafka.", "kafka-streams.")) {
                    config.put(prefix + "security.protocol", "SASL_SSL");
                    config.put(prefix + "sasl.mechanism", "SCRAM-SHA-512");
                    config.put(prefix + "sasl.jaas.config", BrokerSecurity.jaasConfig(KAFKA_USER, KAFKA_PASSWORD));
                    config.put(prefix + "ssl.truststore.type", "PEM");
                    config.put(prefix + "ssl.truststore.location", cert.certificatePem().toString());
                }
                config.put("pagestream.store.type", "qdrant");
                config.put("pagestream.store.qdrant.host", "localhost");
                config.put("pagestream.store.qdrant.port", Integer.toString(qdrant.port()));
                config.put("pagestream.store.qdrant.tls", "true");
                config.put("pagestream.store.qdrant.ca-certificate", cert.certificatePem().toString());
                config.put("pagestream.store.qdrant.api-key", QDRANT_API_KEY);
                return config;
            } catch (Exception e) {
                throw new IllegalStateException("cannot set up the secured test infrastructure", e);
            }
        }

        @Override
        public void stop() {
            oidc.close();
            try {
                qdrant.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
