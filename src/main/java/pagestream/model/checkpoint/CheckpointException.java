package pagestream.model.checkpoint;

/** A checkpoint that cannot be loaded: the message names the file, key, shape or dtype at fault. */
public class CheckpointException extends RuntimeException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
