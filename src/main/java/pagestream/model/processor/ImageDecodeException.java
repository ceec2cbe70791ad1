package pagestream.model.processor;

import java.util.Objects;

/**
 * A page's bytes could not be turned into pixels. {@link #reason()} is machine-readable (it goes into dead-letter
 * records and HTTP errors); the message says what was wrong in words.
 */
public final class ImageDecodeException extends RuntimeException {

    /** Why decoding failed; {@link #code()} is the stable string form. */
    public enum Reason {
        EMPTY("empty"),
        UNSUPPORTED_FORMAT("unsupported_format"),
        CORRUPT_IMAGE("corrupt_image"),
        TOO_MANY_PIXELS("too_many_pixels"),
        CORRUPT_PDF("corrupt_pdf"),
        ENCRYPTED_PDF("encrypted_pdf"),
        TOO_MANY_PAGES("too_many_pages"),
        RENDER_TIMEOUT("render_timeout");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final Reason reason;

    public ImageDecodeException(Reason reason, String message) {
        this(reason, message, null);
    }

    public ImageDecodeException(Reason reason, String message, Throwable cause) {
        super(reason.code() + ": " + message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }

    /** The reason as a stable machine-readable string, e.g. {@code too_many_pixels}. */
    public String code() {
        return reason.code();
    }
}
