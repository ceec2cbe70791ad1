package pagestream.stream;

import java.util.Optional;

/**
 * Who sent a query, as far as what it may see goes: a caller for every tenant ({@code tenant} empty: an API key of
 * {@code pagestream.api.keys}, or anyone while authentication is off) or a caller bound to one tenant (a
 * tenant-bound API key, an OIDC token carrying a tenant claim). REST and Kafka queries apply the binding the same
 * way, through {@link #scope}.
 */
public record Caller(Optional<String> tenant) {

    public static final Caller ANY_TENANT = new Caller(Optional.empty());

    public static Caller boundTo(String tenant) {
        return new Caller(Optional.of(tenant));
    }

    /** A {@code forbidden} rejection when a bound caller's query names another tenant (refused, never ignored). */
    public Optional<Rejection> forbids(QueryRequest request) {
        if (tenant.isPresent() && request.tenant().isPresent() && !request.tenant().equals(tenant)) {
            return Optional.of(new Rejection(Rejection.FORBIDDEN,
                    "the caller may not query tenant \"" + request.tenant().get() + "\""));
        }
        return Optional.empty();
    }

    /** The query as this caller may run it: a bound caller's tenant becomes the filter, whatever it named. */
    public QueryRequest scope(QueryRequest request) {
        return tenant.isEmpty() ? request
                : new QueryRequest(request.query(), request.topK(), tenant, request.docId());
    }
}
