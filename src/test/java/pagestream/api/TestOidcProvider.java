package pagestream.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.lang.JoseException;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A minimal OpenID provider for tests, as an identity provider looks to a resource server: discovery
 * ({@code /.well-known/openid-configuration}: issuer and {@code jwks_uri}) and a JWKS holding the public half of a
 * fresh RSA key. Its {@link Tokens} sign access tokens, and also sign with a second key it does not publish, so
 * tests get tokens with a bad signature, another issuer or a past expiry. {@code POST /realms/test/outage} makes its
 * JWKS endpoint hang from then on, as an overloaded or partitioned provider does; {@code POST /realms/test/shutdown}
 * stops it, so that its port refuses connections, as a provider that is down does.
 */
final class TestOidcProvider implements AutoCloseable {

    private final HttpServer server;
    private final String issuer;
    private final RsaJsonWebKey published;
    private final RsaJsonWebKey unpublished;
    private volatile boolean outage;

    private TestOidcProvider(HttpServer server, RsaJsonWebKey published, RsaJsonWebKey unpublished) {
        this.server = server;
        this.issuer = "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/test";
        this.published = published;
        this.unpublished = unpublished;
    }

    static TestOidcProvider start() throws IOException, JoseException {
        return start(0, rsaKey("published"), rsaKey("unpublished"));
    }

    /**
     * The provider whose tokens {@code tokens} signs, on its address and with its keys: a provider that was down
     * (closed, or never up) and comes back.
     */
    static TestOidcProvider startFor(Tokens tokens) throws IOException {
        return start(URI.create(tokens.issuer).getPort(), tokens.published, tokens.unpublished);
    }

    private static TestOidcProvider start(int port, RsaJsonWebKey publishedKey, RsaJsonWebKey unpublishedKey)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        TestOidcProvider provider = new TestOidcProvider(server, publishedKey, unpublishedKey);
        server.createContext("/realms/test/.well-known/openid-configuration", exchange -> provider.json(exchange,
                "{\"issuer\": \"" + provider.issuer + "\", \"jwks_uri\": \"" + provider.issuer + "/jwks\", "
                        + "\"id_token_signing_alg_values_supported\": [\"RS256\"]}"));
        server.createContext("/realms/test/jwks", exchange -> {
            if (provider.outage) {
                sleep(Duration.ofSeconds(30)); // longer than any verify-timeout: the caller must give up first
            }
            provider.json(exchange,
                    new JsonWebKeySet(provider.published).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
        });
        server.createContext("/realms/test/outage", exchange -> {
            provider.outage = true;
            provider.json(exchange, "{}");
        });
        server.createContext("/realms/test/shutdown", exchange -> {
            provider.json(exchange, "{}");
            // Not on this request's thread: stop() waits for the exchanges in progress, this one among them.
            Thread stopper = new Thread(provider::close, "test-oidc-provider-shutdown");
            stopper.setDaemon(true);
            stopper.start();
        });
        // Requests run on daemon threads of their own: a hanging JWKS request must not hold the others or the JVM.
        server.setExecutor(Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "test-oidc-provider");
            thread.setDaemon(true);
            return thread;
        }));
        server.start();
        return provider;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static RsaJsonWebKey rsaKey(String keyId) throws JoseException {
        RsaJsonWebKey key = RsaJwkGenerator.generateJwk(2048);
        key.setKeyId(keyId);
        return key;
    }

    /** {@code quarkus.oidc.auth-server-url}: the issuer, as with Keycloak's realm URLs. */
    String issuer() {
        return issuer;
    }

    /** What signs this provider's tokens; it travels to a {@code @QuarkusTest} through {@link Tokens#config()}. */
    Tokens tokens() {
        return new Tokens(issuer, published, unpublished);
    }

    /** Mints access tokens as the provider would, and the invalid ones tests need. */
    static final class Tokens {

        private static final String PREFIX = "test.oidc.";

        private final String issuer;
        private final RsaJsonWebKey published;
        private final RsaJsonWebKey unpublished;

        private Tokens(String issuer, RsaJsonWebKey published, RsaJsonWebKey unpublished) {
            this.issuer = issuer;
            this.published = published;
            this.unpublished = unpublished;
        }

        /** Test-only settings holding the signing keys (private halves included) and the issuer. */
        Map<String, String> config() {
            return Map.of(PREFIX + "issuer", issuer,
                    PREFIX + "published-key", published.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE),
                    PREFIX + "unpublished-key", unpublished.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE));
        }

        static Tokens fromConfig(Function<String, String> config) {
            try {
                return new Tokens(config.apply(PREFIX + "issuer"),
                        (RsaJsonWebKey) JsonWebKey.Factory.newJwk(config.apply(PREFIX + "published-key")),
                        (RsaJsonWebKey) JsonWebKey.Factory.newJwk(config.apply(PREFIX + "unpublished-key")));
            } catch (JoseException e) {
                throw new IllegalStateException(e);
            }
        }

        /** A valid access token for {@code tenant} (no tenant claim when null), good for {@code lifetime}. */
        String token(String tenant, Duration lifetime) {
            return sign(published, issuer, tenant, Instant.now().plus(lifetime), published.getKeyId());
        }

        String expired(String tenant) {
            return sign(published, issuer, tenant, Instant.now().minus(Duration.ofMinutes(10)), published.getKeyId());
        }

        /** Signed by a key the JWKS does not hold, under the published key's id. */
        String badSignature(String tenant) {
            return sign(unpublished, issuer, tenant, Instant.now().plus(Duration.ofMinutes(5)), published.getKeyId());
        }

        /** Signed by a key the JWKS does not hold, under its own id: the verifier refreshes the JWKS to find it. */
        String unknownKey(String tenant) {
            return sign(unpublished, issuer, tenant, Instant.now().plus(Duration.ofMinutes(5)), unpublished.getKeyId());
        }

        String fromAnotherIssuer(String tenant) {
            return sign(published, issuer + "-other", tenant, Instant.now().plus(Duration.ofMinutes(5)),
                    published.getKeyId());
        }

        private static String sign(RsaJsonWebKey key, String issuer, String tenant, Instant expiry, String keyId) {
            JwtClaims claims = new JwtClaims();
            claims.setIssuer(issuer);
            claims.setSubject("test-user");
            claims.setIssuedAt(NumericDate.fromSeconds(Instant.now().minusSeconds(60).getEpochSecond()));
            claims.setExpirationTime(NumericDate.fromSeconds(expiry.getEpochSecond()));
            claims.setGeneratedJwtId();
            if (tenant != null) {
                claims.setClaim("tenant", tenant);
            }
            JsonWebSignature jws = new JsonWebSignature();
            jws.setPayload(claims.toJson());
            jws.setKey(key.getPrivateKey());
            jws.setKeyIdHeaderValue(keyId);
            jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
            try {
                return jws.getCompactSerialization();
            } catch (JoseException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private void json(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
