package pagestream.stream;

import java.util.Objects;

/**
 * Why an event was refused: a stable machine-readable {@code reason} code (the DLQ's {@code dead-letter-reason}
 * header, a reply's {@code error.code}) and a message for humans that names the offending header, field or size.
 */
public record Rejection(String reason, String message) {

    /** No credential, or one that is not valid (REST: 401). */
    public static final String UNAUTHENTICATED = "unauthenticated";
    /** A valid credential that may not do this, e.g. a tenant-bound caller naming another tenant (REST: 403). */
    public static final String FORBIDDEN = "forbidden";
    /** The service cannot answer now: shutting down, or the OIDC provider did not answer in time (REST: 503). */
    public static final String UNAVAILABLE = "unavailable";

    public Rejection {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }
}
