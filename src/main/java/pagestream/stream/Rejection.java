package pagestream.stream;

import java.util.Objects;

/**
 * Why an event was refused: a stable machine-readable {@code reason} code (the DLQ's {@code dead-letter-reason}
 * header, a reply's {@code error.code}) and a message for humans that names the offending header, field or size.
 */
public record Rejection(String reason, String message) {

    public Rejection {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }
}
