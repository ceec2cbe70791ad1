package pagestream.api;

import pagestream.PageStreamConfig;
import pagestream.stream.Caller;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The API keys of {@code POST /search} ({@code pagestream.api.keys}, {@code pagestream.api.tenant-keys}). Keys are
 * kept only as SHA-256 digests and compared in constant time against every configured key, so neither the memory
 * of the process nor the response time tells anything about a key.
 */
public final class ApiKeys {

    private record Grant(byte[] digest, Optional<String> tenant) {
    }

    private final List<Grant> grants;

    private ApiKeys(List<Grant> grants) {
        this.grants = List.copyOf(grants);
    }

    public static ApiKeys from(PageStreamConfig.Api config) {
        return of(config.keys().orElse(List.of()), config.tenantKeys().orElse(List.of()));
    }

    /** @param tenantKeys entries {@code <tenant>:<key>} */
    public static ApiKeys of(List<String> keys, List<String> tenantKeys) {
        List<Grant> grants = new ArrayList<>();
        for (String key : keys) {
            grants.add(new Grant(digest(requireKey(key, "pagestream.api.keys")), Optional.empty()));
        }
        for (String entry : tenantKeys) {
            int colon = entry.lastIndexOf(':');
            if (colon <= 0) {
                // Never echo the entry: it holds a key.
                throw new IllegalArgumentException("pagestream.api.tenant-keys: an entry is not <tenant>:<key>");
            }
            grants.add(new Grant(digest(requireKey(entry.substring(colon + 1), "pagestream.api.tenant-keys")),
                    Optional.of(entry.substring(0, colon))));
        }
        return new ApiKeys(grants);
    }

    private static String requireKey(String key, String setting) {
        if (key.isBlank()) {
            throw new IllegalArgumentException(setting + ": an API key is empty");
        }
        if (key.length() < 16) {
            throw new IllegalArgumentException(setting + ": an API key is shorter than 16 characters");
        }
        return key;
    }

    /** Whether keys are configured at all; without keys the API is open. */
    public boolean required() {
        return !grants.isEmpty();
    }

    /** The caller {@code key} belongs to; every configured key is compared, whether or not an earlier one matched. */
    public Optional<Caller> callerOf(String key) {
        byte[] digest = digest(key);
        Grant match = null;
        for (Grant grant : grants) {
            if (MessageDigest.isEqual(grant.digest(), digest) && match == null) {
                match = grant;
            }
        }
        return match == null ? Optional.empty() : Optional.of(new Caller(match.tenant()));
    }

    /** The credential of an {@code Authorization: Bearer <credential>} header (scheme case-insensitive). */
    static Optional<String> bearer(String authorizationHeader) {
        if (authorizationHeader != null && authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = authorizationHeader.substring(7).strip();
            return token.isEmpty() ? Optional.empty() : Optional.of(token);
        }
        return Optional.empty();
    }

    static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "ApiKeys[" + grants.size() + " keys]";
    }
}
