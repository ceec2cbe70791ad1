package pagestream.api;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Verifies an OIDC access token (signature, issuer, expiry) without blocking the caller. The service's
 * implementation is {@link OidcTokenVerifier}; a token that is not valid completes the stage exceptionally, with a
 * {@link ProviderUnavailableException} when the provider could not be asked (the token may well be valid).
 */
@FunctionalInterface
public interface BearerTokenVerifier {

    /** A valid token: the tenant its tenant claim names (empty without one) and when it stops being valid. */
    record VerifiedToken(Optional<String> tenant, Instant expiresAt) {
    }

    CompletionStage<VerifiedToken> verify(String token);

    /**
     * Verifying the token needed the provider (its JWKS, for a key not seen before) and the provider could not be
     * reached or did not answer properly: the caller should try again, not be told its token is bad.
     */
    final class ProviderUnavailableException extends RuntimeException {

        public ProviderUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
