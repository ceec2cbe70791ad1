package pagestream.store;

/** The vector store failed (I/O, disk full, server error, incompatible collection); the message says which. */
public class StoreException extends RuntimeException {

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
