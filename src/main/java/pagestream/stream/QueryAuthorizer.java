package pagestream.stream;

import org.apache.kafka.common.header.Headers;

import java.util.Optional;

/**
 * Who sent a query event, read from its headers ({@code pagestream.queries.auth}): {@link #NONE} lets every event
 * through for every tenant; the service's authenticator wants an {@code authorization: Bearer <API key or OIDC
 * access token>} header. It runs on the stream thread, so an implementation must answer within a bounded time.
 */
@FunctionalInterface
public interface QueryAuthorizer {

    /** The header a query event carries its credential in. */
    String AUTHORIZATION_HEADER = "authorization";

    /** No caller identity on Kafka: whoever may write to the queries topic (Kafka ACLs) may query any tenant. */
    QueryAuthorizer NONE = headers -> Authentication.of(Caller.ANY_TENANT);

    Authentication authenticate(Headers headers);

    /** The caller, or why the event is refused ({@code unauthenticated}, {@code forbidden}, {@code unavailable}). */
    record Authentication(Optional<Caller> caller, Optional<Rejection> rejection) {

        public static Authentication of(Caller caller) {
            return new Authentication(Optional.of(caller), Optional.empty());
        }

        public static Authentication refused(Rejection rejection) {
            return new Authentication(Optional.empty(), Optional.of(rejection));
        }
    }
}
