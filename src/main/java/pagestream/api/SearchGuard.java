package pagestream.api;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import pagestream.PageStreamConfig;
import pagestream.stream.Rejection;
import pagestream.stream.ReplyCodec;

import java.util.Optional;

/**
 * Guards {@code POST /search} before its body is read: the API key when {@code pagestream.api.*} configures any
 * (401 without or with a wrong one), and the declared body size (413 over {@code quarkus.http.limits.max-body-size}),
 * both answered with the reply's {@code {"error": {...}}} JSON. It runs just before Quarkus' own upload limit,
 * which answers with an empty 413; that one still catches chunked bodies that grow past the limit.
 * The caller's tenant binding is handed to {@link SearchResource} in the routing context.
 */
@ApplicationScoped
public class SearchGuard {

    /** Routing-context key of the {@link ApiKeys.Caller} of an authenticated request. */
    static final String CALLER = "pagestream.caller";

    private final ApiKeys apiKeys;
    private final Optional<MemorySize> maxBodySize;

    @Inject
    public SearchGuard(PageStreamConfig config,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") Optional<MemorySize> maxBodySize) {
        this.apiKeys = ApiKeys.from(config.api());
        this.maxBodySize = maxBodySize;
    }

    void install(@Observes Router router) {
        router.route(HttpMethod.POST, "/search").order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(this::check);
    }

    private void check(RoutingContext rc) {
        if (apiKeys.required()) {
            String apiKey = rc.request().getHeader("X-API-Key");
            String authorization = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
            Optional<ApiKeys.Caller> caller = apiKeys.authenticate(apiKey, authorization);
            if (caller.isEmpty()) {
                rc.response().putHeader("WWW-Authenticate", "Bearer");
                refuse(rc, 401, new Rejection("unauthorized", ApiKeys.presented(apiKey, authorization)
                        ? "the API key is not valid"
                        : "POST /search needs an API key: send X-API-Key: <key> or Authorization: Bearer <key>"));
                return;
            }
            rc.put(CALLER, caller.get());
        }
        String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && maxBodySize.isPresent() && declaredLength(length) > maxBodySize.get().asLongValue()) {
            rc.response().putHeader(HttpHeaders.CONNECTION, "close");
            refuse(rc, 413, new Rejection("oversize", "the request body is " + length + " bytes, over the limit of "
                    + maxBodySize.get().asLongValue() + " (quarkus.http.limits.max-body-size)"));
            return;
        }
        rc.next();
    }

    private static long declaredLength(String header) {
        try {
            return Long.parseLong(header.strip());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE; // Vert.x refuses a malformed Content-Length before this; never let one through
        }
    }

    private static void refuse(RoutingContext rc, int status, Rejection rejection) {
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(io.vertx.core.buffer.Buffer.buffer(ReplyCodec.error(rejection)));
    }
}
