package pagestream.stream;

import pagestream.store.StoreRejectedException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * Why a page flush failed, which decides what happens to its pages. A failure that a retry may outlive (the store
 * unreachable or timing out, an I/O error, a full or read-only disk, the executor shutting down, the JVM out of
 * memory) keeps the pages buffered and retries them with backoff. A failure caused by the content (the store
 * refused a point, the model threw on the input) would fail again forever: the batch is retried page by page and
 * a page that fails alone goes to the DLQ with the reason code below.
 */
enum FlushFailure {

    TRANSIENT(null),
    /** The store refused the point: Qdrant {@code INVALID_ARGUMENT}, or the store's own input checks. */
    STORE_REJECTED("store_rejected"),
    /** The model threw while embedding the page. */
    EMBEDDING_FAILED("embedding_failed");

    private final String reason;

    FlushFailure(String reason) {
        this.reason = reason;
    }

    /** The DLQ reason code of a page that fails alone this way. */
    String reason() {
        return reason;
    }

    boolean pageSpecific() {
        return this != TRANSIENT;
    }

    /** {@code inEmbedding}: the failure came from the model, not from the upsert. */
    static FlushFailure of(Throwable failure, boolean inEmbedding) {
        Throwable cause = unwrap(failure);
        if (cause instanceof Error || cause instanceof RejectedExecutionException) {
            return TRANSIENT;
        }
        if (inEmbedding) {
            return EMBEDDING_FAILED;
        }
        return cause instanceof StoreRejectedException || cause instanceof IllegalArgumentException
                ? STORE_REJECTED : TRANSIENT;
    }

    static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
