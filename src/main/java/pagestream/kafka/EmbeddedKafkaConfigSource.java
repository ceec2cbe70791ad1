package pagestream.kafka;

import io.quarkus.runtime.ExecutionMode;
import org.eclipse.microprofile.config.spi.ConfigSource;

import java.util.Set;

/**
 * Supplies {@code kafka.bootstrap.servers} when no other configuration does, by starting the embedded broker the
 * first time the value is read. Its ordinal is below every standard source, so a {@code kafka.bootstrap.servers}
 * set in {@code application.properties}, the environment ({@code KAFKA_BOOTSTRAP_SERVERS}) or a system property
 * wins and the embedded broker never starts.
 *
 * <p>Why a configuration source rather than a start-up bean: {@code quarkus-kafka-streams} builds its
 * {@code KafkaStreams} from the configured bootstrap servers in a {@code @Startup} producer, and test or messaging
 * clients read the same key; a lazy value here is up before any of them, in dev mode, the packaged jar and tests.
 * Quarkus also reads every configuration source while it builds the application (and in static init); the value
 * exists only once the application runs, so a build never starts a broker.
 */
public final class EmbeddedKafkaConfigSource implements ConfigSource {

    public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";

    @Override
    public Set<String> getPropertyNames() {
        return applicationRuns() ? Set.of(BOOTSTRAP_SERVERS) : Set.of();
    }

    @Override
    public String getValue(String propertyName) {
        return BOOTSTRAP_SERVERS.equals(propertyName) && applicationRuns() ? EmbeddedKafka.bootstrapServers() : null;
    }

    private static boolean applicationRuns() {
        ExecutionMode mode = ExecutionMode.current();
        return mode == ExecutionMode.RUNTIME_INIT || mode == ExecutionMode.RUNNING;
    }

    @Override
    public String getName() {
        return "PageStream embedded Kafka broker";
    }

    @Override
    public int getOrdinal() {
        return 50;
    }
}
