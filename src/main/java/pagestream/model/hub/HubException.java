package pagestream.model.hub;

/** A model could not be found, downloaded or verified; the message says what to do about it. */
public class HubException extends RuntimeException {

    public HubException(String message) {
        super(message);
    }

    public HubException(String message, Throwable cause) {
        super(message, cause);
    }
}
