package pagestream.api;

import io.quarkus.oidc.AccessTokenCredential;
import io.quarkus.oidc.OIDCException;
import io.quarkus.oidc.TenantIdentityProvider;
import io.quarkus.oidc.common.runtime.OidcEndpointAccessException;
import io.quarkus.security.identity.SecurityIdentity;
import org.eclipse.microprofile.jwt.JsonWebToken;

import java.io.IOException;
import java.time.Instant;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Verifies access tokens with Quarkus OIDC's default tenant ({@code quarkus.oidc.*}: the issuer and JWKS discovered
 * from {@code auth-server-url}, signature, expiry, issuer, audience) through its programmatic
 * {@link TenantIdentityProvider}, which needs no HTTP request, so Kafka stream threads can use it too.
 */
final class OidcTokenVerifier implements BearerTokenVerifier {

    private final TenantIdentityProvider provider;
    private final String tenantClaim;

    OidcTokenVerifier(TenantIdentityProvider provider, String tenantClaim) {
        this.provider = provider;
        this.tenantClaim = tenantClaim;
    }

    @Override
    public CompletionStage<VerifiedToken> verify(String token) {
        return provider.authenticate(new AccessTokenCredential(token)).map(this::verified)
                .onFailure(OidcTokenVerifier::providerUnreachable)
                .transform(failure -> new ProviderUnavailableException("the OIDC provider could not be reached ("
                        + providerFailure(failure).getClass().getName() + ")", failure))
                .subscribeAsCompletionStage();
    }

    /**
     * Whether verification failed on the way to the provider rather than on the token. Quarkus OIDC wraps every
     * failure in an {@code AuthenticationFailedException}, a bad token and a JWKS that could not be fetched alike; the
     * cause tells them apart: a network failure ({@code ConnectException} when the provider refuses connections,
     * {@code UnknownHostException}, a reset or a TLS failure: all {@link IOException}s) or an error status from one
     * of its endpoints ({@link OidcEndpointAccessException}), or a tenant Quarkus could not set up
     * ({@link OIDCException}: a provider that was down when the service started is asked again at each request,
     * and while it stays down the failure is only "OIDC Server is not available", its network cause dropped). A
     * token's own faults (signature, issuer, expiry, an unknown key in a JWKS that was fetched) are jose4j and
     * Quarkus exceptions, never these.
     */
    static boolean providerUnreachable(Throwable failure) {
        return providerFailure(failure) != null;
    }

    /** The network or endpoint failure in {@code failure}'s cause chain, null when there is none. */
    private static Throwable providerFailure(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof IOException || t instanceof OidcEndpointAccessException || t instanceof OIDCException) {
                return t;
            }
        }
        return null;
    }

    private VerifiedToken verified(SecurityIdentity identity) {
        if (!(identity.getPrincipal() instanceof JsonWebToken jwt)) {
            throw new IllegalStateException("the OIDC identity carries no JWT (an opaque token?)");
        }
        Object tenant = jwt.getClaim(tenantClaim);
        // A non-string claim (an array of tenants, an object) names no single tenant: treated as no tenant.
        Optional<String> bound = tenant instanceof String s && !s.isEmpty() ? Optional.of(s)
                : tenant instanceof jakarta.json.JsonString js && !js.getString().isEmpty()
                        ? Optional.of(js.getString()) : Optional.empty();
        return new VerifiedToken(bound, Instant.ofEpochSecond(jwt.getExpirationTime()));
    }
}
