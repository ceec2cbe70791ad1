package pagestream.api;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Verifies an OIDC access token (signature, issuer, expiry) without blocking the caller. The service's
 * implementation is {@link OidcTokenVerifier}; a token that is not valid completes the stage exceptionally.
 */
@FunctionalInterface
public interface BearerTokenVerifier {

    /** A valid token: the tenant its tenant claim names (empty without one) and when it stops being valid. */
    record VerifiedToken(Optional<String> tenant, Instant expiresAt) {
    }

    CompletionStage<VerifiedToken> verify(String token);
}
