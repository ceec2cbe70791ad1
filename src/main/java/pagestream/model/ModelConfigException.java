package pagestream.model;

/** A model {@code config.json} that cannot be used: the message names the file and the field at fault. */
public class ModelConfigException extends RuntimeException {

    public ModelConfigException(String message) {
        super(message);
    }

    public ModelConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
