package pagestream.stream;

/**
 * The page buffer stayed full (or a tombstone's delete kept failing) for {@code pagestream.retry.max-block}: the
 * stream thread gives up waiting so that its transaction aborts before {@code transaction.timeout.ms} and its poll
 * before {@code max.poll.interval.ms}. Nothing is lost: the uncommitted input is read again, the buffer is restored
 * from its changelog. {@code pagestream.api.StreamThreadReplacer} replaces the thread, which starts waiting again.
 */
public class IngestionStalledException extends RuntimeException {

    public IngestionStalledException(String message, Throwable cause) {
        super(message, cause);
    }
}
