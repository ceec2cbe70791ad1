package pagestream.store;

/**
 * The store answered and refused the request's content (Qdrant {@code INVALID_ARGUMENT} / {@code OUT_OF_RANGE}):
 * sending the same points again fails the same way, unlike an outage, a timeout or an I/O error, which a retry
 * can outlive. The batch processor isolates the offending page and dead-letters it instead of retrying forever.
 */
public class StoreRejectedException extends StoreException {

    public StoreRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
