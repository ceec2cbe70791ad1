package pagestream.api;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import pagestream.PageStreamConfig;
import pagestream.stream.Caller;
import pagestream.stream.QueryAuthorizer;
import pagestream.stream.QueryAuthorizer.Authentication;
import pagestream.stream.Rejection;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rules {@link CallerAuthenticator} applies on both paths, with a verifier standing in for Quarkus OIDC (whose
 * real verification {@code SecuredServiceTest} exercises against {@link TestOidcProvider}): how a Kafka query's
 * header is read, the cache of verified tokens, and that a verifier which never answers costs a bounded wait.
 */
class CallerAuthenticatorTest {

    private static final String KEY = "admin-key-0123456789";
    private static final String ACME_KEY = "acme-key-0123456789";
    /** Shaped like a JWT; the stand-in verifier decides what it means. */
    private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJ0ZW5hbnQiOiJhY21lIn0.c2lnbmF0dXJl";

    private final ApiKeys keys = ApiKeys.of(List.of(KEY), List.of("acme:" + ACME_KEY));
    private final MutableClock clock = new MutableClock();
    private final AtomicInteger verifications = new AtomicInteger();

    private CallerAuthenticator withVerifier(BearerTokenVerifier verifier) {
        return new CallerAuthenticator(keys, Optional.of(verifier), Duration.ofMillis(300), 100, clock);
    }

    private BearerTokenVerifier verifierFor(Optional<String> tenant) {
        return token -> {
            verifications.incrementAndGet();
            return CompletableFuture.completedFuture(
                    new BearerTokenVerifier.VerifiedToken(tenant, clock.instant().plusSeconds(60)));
        };
    }

    private static RecordHeaders authorization(String value) {
        RecordHeaders headers = new RecordHeaders();
        if (value != null) {
            headers.add(QueryAuthorizer.AUTHORIZATION_HEADER, value.getBytes(StandardCharsets.UTF_8));
        }
        return headers;
    }

    private static String reason(Authentication authentication) {
        return authentication.rejection().map(Rejection::reason).orElse("accepted");
    }

    @Test
    void aKafkaQueryNeedsABearerApiKeyOrToken() {
        CallerAuthenticator authenticator = withVerifier(verifierFor(Optional.of("acme")));
        assertThat(authenticator.authenticateQuery(authorization("Bearer " + KEY)).caller())
                .contains(Caller.ANY_TENANT);
        assertThat(authenticator.authenticateQuery(authorization("bearer " + ACME_KEY)).caller())
                .contains(Caller.boundTo("acme"));
        assertThat(authenticator.authenticateQuery(authorization("Bearer " + TOKEN)).caller())
                .contains(Caller.boundTo("acme"));
        for (String refused : new String[] {null, "", KEY, "Basic " + KEY, "Bearer ", "Bearer not-a-key-0123456789"}) {
            Authentication authentication = authenticator.authenticateQuery(authorization(refused));
            assertThat(reason(authentication)).as(refused).isEqualTo(Rejection.UNAUTHENTICATED);
            assertThat(authentication.rejection().orElseThrow().message()).doesNotContain(KEY);
        }
        // Not shaped like a JWT: never handed to the verifier.
        assertThat(verifications).hasValue(1);
    }

    @Test
    void aVerifiedTokenIsRememberedUntilItExpires() {
        CallerAuthenticator authenticator = withVerifier(verifierFor(Optional.of("acme")));
        for (int i = 0; i < 3; i++) {
            assertThat(reason(authenticator.authenticateQuery(authorization("Bearer " + TOKEN)))).isEqualTo("accepted");
        }
        assertThat(verifications).hasValue(1);
        clock.advance(Duration.ofSeconds(61));
        assertThat(reason(authenticator.authenticateQuery(authorization("Bearer " + TOKEN)))).isEqualTo("accepted");
        assertThat(verifications).as("verified again after expiry").hasValue(2);
    }

    @Test
    void aRefusedTokenIsUnauthenticatedAndATokenWithoutTenantIsForbidden() {
        CallerAuthenticator refusing = withVerifier(token -> CompletableFuture.failedFuture(
                new IllegalStateException("signature of " + token + " does not verify")));
        Authentication refused = refusing.authenticateQuery(authorization("Bearer " + TOKEN));
        assertThat(reason(refused)).isEqualTo(Rejection.UNAUTHENTICATED);
        assertThat(refused.rejection().orElseThrow().message()).doesNotContain(TOKEN);
        assertThat(reason(withVerifier(verifierFor(Optional.empty())).authenticateQuery(
                authorization("Bearer " + TOKEN)))).isEqualTo(Rejection.FORBIDDEN);
    }

    @Test
    void aProviderThatCannotBeReachedIsUnavailableOnBothPaths() {
        CallerAuthenticator providerDown = withVerifier(token -> {
            verifications.incrementAndGet();
            return CompletableFuture.failedFuture(new BearerTokenVerifier.ProviderUnavailableException(
                    "the OIDC provider could not be reached", new java.net.ConnectException("Connection refused")));
        });
        Authentication query = providerDown.authenticateQuery(authorization("Bearer " + TOKEN));
        assertThat(reason(query)).isEqualTo(Rejection.UNAVAILABLE);
        assertThat(query.rejection().orElseThrow().message()).contains("OIDC provider could not be reached");
        Authentication search = providerDown.authenticate(null, "Bearer " + TOKEN).toCompletableFuture().join();
        assertThat(reason(search)).isEqualTo(Rejection.UNAVAILABLE);
        assertThat(verifications).as("nothing remembered: each attempt asks the provider again").hasValue(2);
    }

    @Test
    void aVerifierThatNeverAnswersCostsTheTimeoutAndAnUnavailableError() {
        CallerAuthenticator stuck = withVerifier(token -> new CompletableFuture<>());
        long start = System.nanoTime();
        Authentication authentication = stuck.authenticateQuery(authorization("Bearer " + TOKEN));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(reason(authentication)).isEqualTo(Rejection.UNAVAILABLE);
        assertThat(authentication.rejection().orElseThrow().message()).contains("OIDC provider reachable");
    }

    @Test
    void queryAuthenticationIsOffByDefaultAndRequiredNeedsCredentials() {
        PageStreamConfig none = StandaloneConfig.of(Map.of());
        PageStreamConfig required = StandaloneConfig.of(Map.of("pagestream.queries.auth", "required"));
        assertThat(none.queries().auth()).isEqualTo(PageStreamConfig.Queries.Auth.NONE);
        assertThat(CallerAuthenticator.apiKeysOnly(keys).forQueries(none.queries())).isSameAs(QueryAuthorizer.NONE);
        QueryAuthorizer keysOnly = CallerAuthenticator.apiKeysOnly(keys).forQueries(required.queries());
        assertThat(keysOnly.authenticate(authorization(null)).rejection()).map(Rejection::reason)
                .contains(Rejection.UNAUTHENTICATED);
        assertThat(keysOnly.authenticate(authorization("Bearer " + ACME_KEY)).caller())
                .contains(Caller.boundTo("acme"));
        assertThatThrownBy(() -> CallerAuthenticator.apiKeysOnly(ApiKeys.of(List.of(), List.of()))
                .forQueries(required.queries())).hasMessageContaining("pagestream.api.keys");
    }

    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-11-27T00:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
