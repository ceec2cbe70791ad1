package pagestream.api;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import pagestream.stream.Caller;
import pagestream.stream.QueryAuthorizer.Authentication;
import pagestream.stream.Rejection;
import pagestream.stream.ReplyCodec;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Guards {@code POST /search} before its body is read: the caller's credential when {@code pagestream.api.*}
 * configures any — an API key or an OIDC access token, checked by {@link CallerAuthenticator} (401 without one or
 * with a wrong one, 403 for a token naming no tenant, 503 when the OIDC provider does not answer in time) — and the
 * declared body size (413 over {@code quarkus.http.limits.max-body-size}), answered with the reply's
 * {@code {"error": {...}}} JSON. A token is verified off the event loop; the request is paused meanwhile. It runs
 * just before Quarkus' own upload limit, which answers with an empty 413; that one still catches chunked bodies
 * that grow past the limit.
 * The caller's tenant binding is handed to {@link SearchResource} in the routing context.
 */
@ApplicationScoped
public class SearchGuard {

    /** Routing-context key of the {@link Caller} of an authenticated request. */
    static final String CALLER = "pagestream.caller";

    private final CallerAuthenticator authenticator;
    private final Optional<MemorySize> maxBodySize;

    @Inject
    public SearchGuard(CallerAuthenticator authenticator,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") Optional<MemorySize> maxBodySize) {
        this.authenticator = authenticator;
        this.maxBodySize = maxBodySize;
    }

    void install(@Observes Router router) {
        router.route(HttpMethod.POST, "/search").order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(this::check);
    }

    private void check(RoutingContext rc) {
        if (!authenticator.required()) {
            checkSize(rc);
            return;
        }
        CompletableFuture<Authentication> pending = authenticator.authenticate(rc.request().getHeader("X-API-Key"),
                rc.request().getHeader(HttpHeaders.AUTHORIZATION)).toCompletableFuture();
        if (pending.isDone()) { // API keys and remembered tokens: decided here, on the event loop
            admit(rc, pending.join());
            return;
        }
        // The body must wait (unread) for the verdict; nothing from an unauthenticated caller is read.
        rc.request().pause();
        Context context = Vertx.currentContext();
        pending.whenComplete((authentication, failure) -> context.runOnContext(ignored -> {
            rc.request().resume();
            admit(rc, failure == null ? authentication : Authentication.refused(
                    new Rejection(Rejection.UNAVAILABLE, "the credential could not be checked")));
        }));
    }

    private void admit(RoutingContext rc, Authentication authentication) {
        if (authentication.rejection().isPresent()) {
            Rejection rejection = authentication.rejection().get();
            int status = switch (rejection.reason()) {
                case Rejection.FORBIDDEN -> 403;
                case Rejection.UNAVAILABLE -> 503;
                default -> 401;
            };
            if (status == 401) {
                rc.response().putHeader("WWW-Authenticate", "Bearer");
            }
            refuse(rc, status, rejection);
            return;
        }
        rc.put(CALLER, authentication.caller().orElseThrow());
        checkSize(rc);
    }

    private void checkSize(RoutingContext rc) {
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
