package pagestream.api;

import jakarta.annotation.PostConstruct;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import io.vertx.ext.web.RoutingContext;
import org.jboss.logging.Logger;
import pagestream.PageStreamConfig;
import pagestream.embed.EmbeddingExecutor;
import pagestream.model.MultiVector;
import pagestream.store.MultiVectorStore;
import pagestream.store.SearchFilter;
import pagestream.store.SearchHit;
import pagestream.stream.Caller;
import pagestream.stream.QueryEventCodec;
import pagestream.stream.QueryRequest;
import pagestream.stream.QueryTokenLimit;
import pagestream.stream.Rejection;
import pagestream.stream.ReplyCodec;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /search}: the query event JSON over HTTP, answered with the same JSON as a reply on the reply topic.
 * It takes the same path as a Kafka query (strict parsing, the embedding executor at query priority, the store),
 * so both answer identically. Errors carry the reply's {@code {"error": {"code", "message"}}} body: 400 for a bad
 * query, 403 when a tenant-bound caller (API key or OIDC token) names another tenant, 504 when the embedding does
 * not come in time, 503 while shutting down, 500 otherwise. {@link SearchGuard} answers 401 (credential), 413 (body
 * over {@code quarkus.http.limits.max-body-size}) and 503 (OIDC provider not answering) before the body is read.
 */
@Path("/search")
public class SearchResource {

    private static final Logger LOG = Logger.getLogger(SearchResource.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Inject
    PageStreamConfig config;

    @Inject
    EmbeddingExecutor executor;

    @Inject
    MultiVectorStore store;

    @Inject
    Metrics metrics;

    private QueryEventCodec codec;
    private QueryTokenLimit tokenLimit;

    @PostConstruct
    void init() {
        codec = new QueryEventCodec(config.limits().maxQueryBytes(), config.limits().maxTopK());
        tokenLimit = new QueryTokenLimit(executor.model().processor(), config.limits().maxQueryTokens());
    }

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    public Response search(@Context RoutingContext routing, byte[] body) {
        long start = System.nanoTime();
        QueryEventCodec.Parsed parsed = codec.parse(body);
        if (parsed.rejection().isPresent()) {
            return error(Response.Status.BAD_REQUEST, parsed.rejection().get());
        }
        QueryRequest request = parsed.request().orElseThrow();
        Optional<Rejection> tooLong = tokenLimit.check(request.query());
        if (tooLong.isPresent()) {
            return error(Response.Status.BAD_REQUEST, tooLong.get());
        }
        Caller caller = Optional.ofNullable(routing.<Caller>get(SearchGuard.CALLER)).orElse(Caller.ANY_TENANT);
        Optional<Rejection> forbidden = caller.forbids(request);
        if (forbidden.isPresent()) {
            return error(Response.Status.FORBIDDEN, forbidden.get());
        }
        request = caller.scope(request); // a tenant-bound caller: its tenant is the filter
        Optional<String> tenant = request.tenant();
        try {
            MultiVector query = executor.embedQuery(request.query()).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            SearchFilter filter = new SearchFilter(tenant.orElse(null), request.docId().orElse(null));
            List<SearchHit> hits = store.search(query, request.topK(), filter);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            metrics.queryAnswered("http", took);
            return Response.ok(ReplyCodec.results(request.query(), hits, took.toMillis())).build();
        } catch (TimeoutException e) {
            return error(Response.Status.GATEWAY_TIMEOUT,
                    new Rejection("timeout", "the query was not answered within " + TIMEOUT));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(Response.Status.SERVICE_UNAVAILABLE, new Rejection("unavailable", "the service is shutting down"));
        } catch (ExecutionException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            LOG.errorf(cause, "query failed: %s", request.query());
            return error(Response.Status.INTERNAL_SERVER_ERROR, new Rejection("internal", "the query failed: " + cause));
        }
    }

    private static Response error(Response.Status status, Rejection rejection) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(ReplyCodec.error(rejection)).build();
    }
}
