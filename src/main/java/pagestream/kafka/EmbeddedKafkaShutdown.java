package pagestream.kafka;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** Stops the embedded broker after Kafka Streams has closed (its observer runs at the default priority, earlier). */
@ApplicationScoped
public class EmbeddedKafkaShutdown {

    void onStop(@Observes @Priority(jakarta.interceptor.Interceptor.Priority.PLATFORM_AFTER + 1000) ShutdownEvent event) {
        EmbeddedKafka.stop();
    }
}
