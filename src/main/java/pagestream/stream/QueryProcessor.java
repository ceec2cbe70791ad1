package pagestream.stream;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.jboss.logging.Logger;
import pagestream.embed.EmbeddingExecutor;
import pagestream.model.MultiVector;
import pagestream.store.MultiVectorStore;
import pagestream.store.SearchFilter;
import pagestream.store.SearchHit;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Answers query events: parse and validate, embed the text on the {@link EmbeddingExecutor} (queries run before
 * any page work there), search the {@link MultiVectorStore} with the filter, and forward the reply to the reply
 * sink, routed by the request-reply headers. A bad query gets an error reply on the same path; a bad query that
 * names no reply path (no correlation id, no reply topic) or whose reply headers are malformed goes to the
 * queries DLQ. Nothing here throws for bad input.
 *
 * <p>The {@link QueryAuthorizer} says who sent the query before anything else is done with it: a refused caller
 * gets an {@code unauthenticated} (or {@code unavailable}) error, a tenant-bound caller naming another tenant a
 * {@code forbidden} one, and a bound caller's query is filtered to its tenant.
 *
 * <p>Each reply's latency, from the request record's timestamp to the reply's forward, goes to {@code replyLatency}
 * (the metrics).
 *
 * <p>The stream thread waits for its query's embedding (short: a query goes first on the executor), so the
 * input offset commits only after the reply is sent: after the broker acknowledged it (at-least-once, the query
 * application's default) or in the same transaction (exactly-once).
 */
public final class QueryProcessor implements Processor<byte[], byte[], byte[], RoutedValue> {

    private static final Logger LOG = Logger.getLogger(QueryProcessor.class);

    private final QueryEventCodec codec;
    private final QueryTokenLimit tokenLimit;
    private final EmbeddingExecutor executor;
    private final MultiVectorStore store;
    private final String defaultReplyTopic;
    private final String deadLetterTopic;
    private final String replyChild;
    private final String deadLetterChild;
    private final Duration timeout;
    private final Consumer<Duration> replyLatency;
    private final QueryAuthorizer authorizer;

    private ProcessorContext<byte[], RoutedValue> context;

    public QueryProcessor(QueryEventCodec codec, QueryTokenLimit tokenLimit, EmbeddingExecutor executor,
            MultiVectorStore store, String defaultReplyTopic, String deadLetterTopic, String replyChild,
            String deadLetterChild, Duration timeout, Consumer<Duration> replyLatency, QueryAuthorizer authorizer) {
        this.codec = codec;
        this.tokenLimit = tokenLimit;
        this.executor = executor;
        this.store = store;
        this.defaultReplyTopic = defaultReplyTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.replyChild = replyChild;
        this.deadLetterChild = deadLetterChild;
        this.timeout = timeout;
        this.replyLatency = replyLatency;
        this.authorizer = authorizer;
    }

    @Override
    public void init(ProcessorContext<byte[], RoutedValue> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        long start = System.nanoTime();
        ReplyRoute.Resolved resolved = ReplyRoute.of(record.headers(), defaultReplyTopic);
        if (resolved.rejection().isPresent()) {
            deadLetter(record, resolved.rejection().get());
            return;
        }
        ReplyRoute route = resolved.route().orElseThrow();
        // Who asks comes first: nothing of an unauthenticated event is parsed or embedded.
        QueryAuthorizer.Authentication authentication = authorizer.authenticate(record.headers());
        QueryEventCodec.Parsed parsed = authentication.caller().isPresent() ? codec.parse(record.value()) : null;
        Optional<Rejection> rejection = authentication.rejection()
                .or(() -> parsed.rejection())
                .or(() -> tokenLimit.check(parsed.request().orElseThrow().query()))
                .or(() -> authentication.caller().orElseThrow().forbids(parsed.request().orElseThrow()));
        if (rejection.isPresent()) {
            if (route.explicit()) {
                reply(record, route, ReplyCodec.error(rejection.get()));
            } else {
                deadLetter(record, rejection.get());
            }
            return;
        }
        QueryRequest request = authentication.caller().orElseThrow().scope(parsed.request().orElseThrow());
        byte[] reply;
        try {
            MultiVector query = executor.embedQuery(request.query()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            SearchFilter filter = new SearchFilter(request.tenant().orElse(null), request.docId().orElse(null));
            List<SearchHit> hits = store.search(query, request.topK(), filter);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            reply = ReplyCodec.results(request.query(), hits, tookMs);
        } catch (TimeoutException e) {
            reply = ReplyCodec.error(new Rejection("timeout", "the query was not answered within " + timeout));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reply = ReplyCodec.error(new Rejection("unavailable", "the service is shutting down"));
        } catch (ExecutionException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            LOG.errorf(cause, "query failed: %s", request.query());
            reply = ReplyCodec.error(new Rejection("internal", "the query failed: " + cause));
        }
        reply(record, route, reply);
    }

    private void reply(Record<byte[], byte[]> query, ReplyRoute route, byte[] json) {
        RecordHeaders headers = new RecordHeaders();
        route.correlation().ifPresent(headers::add); // echoed under the name it came with
        context.forward(new Record<>(query.key(), new RoutedValue(json, route.topic(), route.partition()),
                context.currentSystemTimeMs(), headers), replyChild);
        // From the request's timestamp (the requester's send time, or the broker's append time), so the wait in
        // the topic and for a stream thread counts; the transaction commit that makes the reply visible does not.
        replyLatency.accept(Duration.ofMillis(Math.max(0, System.currentTimeMillis() - query.timestamp())));
    }

    private void deadLetter(Record<byte[], byte[]> query, Rejection rejection) {
        Record<byte[], byte[]> dead = DeadLetters.of(query, rejection, context.recordMetadata());
        context.forward(dead.withValue(new RoutedValue(dead.value(), deadLetterTopic, OptionalInt.empty())),
                deadLetterChild);
    }
}
