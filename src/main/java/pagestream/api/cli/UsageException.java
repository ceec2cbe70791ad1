package pagestream.api.cli;

/** A bad command line: the message names the option or file; the command prints it and exits with code 2. */
public class UsageException extends Exception {

    public UsageException(String message) {
        super(message);
    }
}
