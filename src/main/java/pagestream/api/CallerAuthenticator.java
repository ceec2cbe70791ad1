package pagestream.api;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.jboss.logging.Logger;
import pagestream.PageStreamConfig;
import pagestream.stream.Caller;
import pagestream.stream.QueryAuthorizer;
import pagestream.stream.QueryAuthorizer.Authentication;
import pagestream.stream.Rejection;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Who is calling, for {@code POST /search} and for Kafka query events alike: an API key ({@code pagestream.api.keys},
 * {@code tenant-keys}) or, when {@code pagestream.api.oidc.enabled}, an OIDC access token whose tenant claim binds
 * the caller to one tenant. One class for both paths, so a credential means the same on each.
 *
 * <p>Tokens are verified by a {@link BearerTokenVerifier} within {@code verify-timeout} (past it, or when the provider
 * cannot be reached: {@code unavailable}, never a stuck thread nor a valid token called bad) and remembered in
 * {@link VerifiedTokens} until they expire. No message, log line or exception from here carries a credential.
 */
public final class CallerAuthenticator {

    private static final Logger LOG = Logger.getLogger(CallerAuthenticator.class);

    static final String MISSING = "no credential: send an API key or an OIDC access token as "
            + "Authorization: Bearer <credential> (POST /search also takes X-API-Key: <key>; a Kafka query event "
            + "the header authorization)";

    private final ApiKeys apiKeys;
    private final Optional<BearerTokenVerifier> tokens;
    private final Duration verifyTimeout;
    private final VerifiedTokens verified;

    public CallerAuthenticator(ApiKeys apiKeys, Optional<BearerTokenVerifier> tokens, Duration verifyTimeout,
            int cacheSize, Clock clock) {
        this.apiKeys = apiKeys;
        this.tokens = tokens;
        this.verifyTimeout = verifyTimeout;
        this.verified = new VerifiedTokens(cacheSize, clock);
    }

    /** API keys only (no Quarkus, hence no OIDC): {@link InProcessPipeline}. */
    public static CallerAuthenticator apiKeysOnly(ApiKeys apiKeys) {
        return new CallerAuthenticator(apiKeys, Optional.empty(), Duration.ZERO, 0, Clock.systemUTC());
    }

    /** Whether any credential is configured; without one {@code POST /search} is open. */
    public boolean required() {
        return apiKeys.required() || tokens.isPresent();
    }

    /**
     * The authorizer Kafka query events go through: this one under {@code pagestream.queries.auth=required},
     * {@link QueryAuthorizer#NONE} otherwise.
     */
    public QueryAuthorizer forQueries(PageStreamConfig.Queries config) {
        if (config.auth() == PageStreamConfig.Queries.Auth.NONE) {
            return QueryAuthorizer.NONE;
        }
        if (!required()) {
            throw new IllegalArgumentException("pagestream.queries.auth=required needs credentials to check: set "
                    + "pagestream.api.keys, pagestream.api.tenant-keys or pagestream.api.oidc.enabled=true");
        }
        return this::authenticateQuery;
    }

    /**
     * An HTTP request's caller, from {@code X-API-Key: <key>} or {@code Authorization: Bearer <key or token>}.
     * Completes at once for API keys; a token not seen before completes when its verification does (at most
     * {@code verify-timeout} later).
     */
    public CompletionStage<Authentication> authenticate(String apiKeyHeader, String authorizationHeader) {
        if (apiKeyHeader != null && !apiKeyHeader.isBlank()) {
            return CompletableFuture.completedFuture(apiKeys.callerOf(apiKeyHeader.strip()).map(Authentication::of)
                    .orElseGet(() -> unauthenticated("the API key is not valid")));
        }
        Optional<String> bearer = ApiKeys.bearer(authorizationHeader);
        if (bearer.isEmpty()) {
            return CompletableFuture.completedFuture(unauthenticated(MISSING));
        }
        Optional<Caller> byKey = apiKeys.callerOf(bearer.get());
        if (byKey.isPresent()) {
            return CompletableFuture.completedFuture(Authentication.of(byKey.get()));
        }
        if (tokens.isEmpty() || !looksLikeJwt(bearer.get())) {
            return CompletableFuture.completedFuture(unauthenticated(tokens.isEmpty()
                    ? "the API key is not valid" : "the bearer credential is neither a valid API key nor a JWT"));
        }
        return verifyToken(bearer.get());
    }

    /** A Kafka query event's caller, from its {@code authorization} header; waits at most {@code verify-timeout}. */
    Authentication authenticateQuery(Headers headers) {
        Header header = headers.lastHeader(QueryAuthorizer.AUTHORIZATION_HEADER);
        String value = header == null || header.value() == null
                ? null : new String(header.value(), StandardCharsets.UTF_8);
        if (value != null && ApiKeys.bearer(value).isEmpty()) {
            return unauthenticated("the authorization header must be Bearer <API key or OIDC access token>");
        }
        CompletableFuture<Authentication> pending = authenticate(null, value).toCompletableFuture();
        try {
            // verifyToken bounds the wait itself; this bound only guards against a verifier that ignores it.
            return pending.get(verifyTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Authentication.refused(new Rejection(Rejection.UNAVAILABLE, "the service is shutting down"));
        } catch (ExecutionException | TimeoutException e) {
            return Authentication.refused(providerTimedOut());
        }
    }

    private CompletionStage<Authentication> verifyToken(String token) {
        Optional<BearerTokenVerifier.VerifiedToken> known = verified.get(token);
        if (known.isPresent()) {
            return CompletableFuture.completedFuture(bind(known.get()));
        }
        CompletableFuture<BearerTokenVerifier.VerifiedToken> verification;
        try {
            verification = tokens.orElseThrow().verify(token).toCompletableFuture();
        } catch (RuntimeException e) {
            verification = CompletableFuture.failedFuture(e);
        }
        return verification.orTimeout(verifyTimeout.toMillis(), TimeUnit.MILLISECONDS).handle((token1, failure) -> {
            if (failure == null) {
                verified.put(token, token1);
                return bind(token1);
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof TimeoutException) {
                return Authentication.refused(providerTimedOut());
            }
            if (cause instanceof BearerTokenVerifier.ProviderUnavailableException) {
                // Its message names the failure's class only, never the token.
                LOG.warnf("an OIDC token could not be verified: %s", cause.getMessage());
                return Authentication.refused(new Rejection(Rejection.UNAVAILABLE,
                        "the OIDC provider could not be reached to verify the token; try again"));
            }
            // The class only: verification messages can quote the token's claims.
            LOG.debugf("an OIDC token was refused (%s)", cause.getClass().getName());
            return unauthenticated("the bearer token is not valid (signature, issuer, audience or expiry)");
        });
    }

    private Rejection providerTimedOut() {
        return new Rejection(Rejection.UNAVAILABLE, "the OIDC token could not be verified within " + verifyTimeout
                + " (is the OIDC provider reachable?); try again");
    }

    private static Authentication bind(BearerTokenVerifier.VerifiedToken token) {
        return token.tenant().map(tenant -> Authentication.of(Caller.boundTo(tenant)))
                .orElseGet(() -> Authentication.refused(new Rejection(Rejection.FORBIDDEN,
                        "the OIDC token names no tenant (pagestream.api.oidc.tenant-claim)")));
    }

    /** Three base64url parts: anything else cannot be a JWT and is not sent to the verifier. */
    private static boolean looksLikeJwt(String credential) {
        return credential.chars().filter(c -> c == '.').count() == 2
                && credential.chars().allMatch(c -> c == '.' || c == '-' || c == '_'
                        || c < 128 && Character.isLetterOrDigit(c));
    }

    private static Authentication unauthenticated(String message) {
        return Authentication.refused(new Rejection(Rejection.UNAUTHENTICATED, message));
    }

    @Override
    public String toString() {
        return "CallerAuthenticator[" + apiKeys + (tokens.isPresent() ? ", OIDC" : "") + "]";
    }
}
