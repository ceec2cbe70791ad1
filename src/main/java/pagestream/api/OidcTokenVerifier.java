package pagestream.api;

import io.quarkus.oidc.AccessTokenCredential;
import io.quarkus.oidc.TenantIdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import org.eclipse.microprofile.jwt.JsonWebToken;

import java.time.Instant;
import java.util.Optional;
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
        return provider.authenticate(new AccessTokenCredential(token)).map(this::verified).subscribeAsCompletionStage();
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
