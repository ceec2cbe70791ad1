package pagestream.api;

import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Tokens already verified, until they expire: a Kafka stream thread then checks a repeated token in memory instead
 * of waiting on the OIDC machinery. Keyed by the token's SHA-256 (the token itself is never kept), bounded to
 * {@code capacity} entries, least recently used out first.
 */
final class VerifiedTokens {

    private final int capacity;
    private final Clock clock;
    private final Map<String, BearerTokenVerifier.VerifiedToken> byDigest;

    VerifiedTokens(int capacity, Clock clock) {
        this.capacity = capacity;
        this.clock = clock;
        this.byDigest = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, BearerTokenVerifier.VerifiedToken> eldest) {
                return size() > VerifiedTokens.this.capacity;
            }
        };
    }

    synchronized Optional<BearerTokenVerifier.VerifiedToken> get(String token) {
        String key = key(token);
        BearerTokenVerifier.VerifiedToken verified = byDigest.get(key);
        if (verified != null && !clock.instant().isBefore(verified.expiresAt())) {
            byDigest.remove(key);
            return Optional.empty();
        }
        return Optional.ofNullable(verified);
    }

    synchronized void put(String token, BearerTokenVerifier.VerifiedToken verified) {
        if (capacity > 0 && clock.instant().isBefore(verified.expiresAt())) {
            byDigest.put(key(token), verified);
        }
    }

    synchronized int size() {
        return byDigest.size();
    }

    private static String key(String token) {
        return HexFormat.of().formatHex(ApiKeys.digest(token));
    }
}
