package pagestream.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Destroyed;
import jakarta.enterprise.event.Observes;

/**
 * Stops the embedded broker last: after Kafka Streams (closed on {@code ShutdownEvent}) and after every
 * application-scoped Kafka client (messaging connectors, admin clients) is destroyed, so none of them spends its
 * shutdown retrying a broker that is already gone.
 */
@ApplicationScoped
public class EmbeddedKafkaShutdown {

    static void onStop(@Observes @Destroyed(ApplicationScoped.class) Object event) {
        EmbeddedKafka.stop();
    }
}
