package pagestream.api;

import io.quarkus.oidc.OIDCException;
import io.quarkus.oidc.common.runtime.OidcEndpointAccessException;
import io.quarkus.security.AuthenticationFailedException;
import io.smallrye.mutiny.Uni;
import org.jose4j.lang.UnresolvableKeyException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * How {@link OidcTokenVerifier} tells a provider it could not reach from a bad token, on failures shaped as Quarkus
 * OIDC reports them (an {@code AuthenticationFailedException} around the cause). {@code SecuredServiceTest} checks
 * the same against a real provider that refuses connections, {@code OidcProviderDownAtStartTest} against one that
 * was down when the service started.
 */
class OidcTokenVerifierTest {

    private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJ0ZW5hbnQiOiJhY21lIn0.c2lnbmF0dXJl";

    private static Throwable failureOfVerifying(Throwable quarkusFailure) {
        OidcTokenVerifier verifier = new OidcTokenVerifier(credential -> Uni.createFrom().failure(quarkusFailure),
                "tenant");
        CompletableFuture<BearerTokenVerifier.VerifiedToken> verification = verifier.verify(TOKEN)
                .toCompletableFuture();
        Throwable failed = catchThrowable(verification::get);
        assertThat(failed).isInstanceOf(ExecutionException.class);
        return failed.getCause();
    }

    @Test
    void aProviderThatRefusesConnectionsOrAnswersWithAnErrorIsUnavailable() {
        Map<String, Throwable> unreachable = Map.of(
                "connection refused", new AuthenticationFailedException(new ConnectException("Connection refused")),
                "unknown host", new AuthenticationFailedException(new RuntimeException(new UnknownHostException())),
                "JWKS answered 503", new AuthenticationFailedException(new OidcEndpointAccessException(503)),
                // as Quarkus reports a tenant whose provider was down at start-up and still is
                "provider down since start-up", new OIDCException("OIDC Server is not available",
                        new RuntimeException("OIDC Server is not available")));
        unreachable.forEach((what, failure) -> {
            assertThat(OidcTokenVerifier.providerUnreachable(failure)).as(what).isTrue();
            assertThat(failureOfVerifying(failure)).as(what)
                    .isInstanceOf(BearerTokenVerifier.ProviderUnavailableException.class)
                    .hasMessageNotContaining(TOKEN);
        });
    }

    @Test
    void aTokenItsProviderRefusesIsNotMistakenForAnOutage() {
        Map<String, Throwable> bad = Map.of(
                "no cause", new AuthenticationFailedException(),
                "unknown key after a JWKS refresh", new AuthenticationFailedException(
                        new RuntimeException(new UnresolvableKeyException("JWK with kid 'x' is not available"))),
                "message about a connection", new AuthenticationFailedException("Connection refused"));
        bad.forEach((what, failure) -> {
            assertThat(OidcTokenVerifier.providerUnreachable(failure)).as(what).isFalse();
            assertThat(failureOfVerifying(failure)).as(what).isSameAs(failure);
        });
    }

    @Test
    void aCauseChainWithACycleEnds() {
        RuntimeException first = new RuntimeException("first");
        RuntimeException second = new RuntimeException("second", first);
        first.initCause(second);
        assertThat(OidcTokenVerifier.providerUnreachable(first)).isFalse();
    }
}
