package pagestream.stream;

import pagestream.model.processor.ColPaliProcessor;

import java.util.Optional;

/**
 * Refuses a query longer than {@code pagestream.limits.max-query-tokens} before it reaches the model. The byte
 * limit on query events does not bound model time: a 64 KiB query is about 40,000 tokens, whose attention
 * matrices alone are gigabytes, and every query embedded in the same batch is padded to it.
 */
public final class QueryTokenLimit {

    private final ColPaliProcessor processor;
    private final int maxTokens;

    public QueryTokenLimit(ColPaliProcessor processor, int maxTokens) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("pagestream.limits.max-query-tokens must be >= 1, got " + maxTokens);
        }
        this.processor = processor;
        this.maxTokens = maxTokens;
    }

    /** An {@code oversize} rejection when the query's prompt has more than the limit's tokens. */
    public Optional<Rejection> check(String query) {
        int tokens = processor.queryLength(query);
        if (tokens <= maxTokens) {
            return Optional.empty();
        }
        return Optional.of(new Rejection("oversize", "query is " + tokens + " tokens with its prompt, over the "
                + "limit of " + maxTokens + " (pagestream.limits.max-query-tokens)"));
    }
}
