package pagestream.kafka;

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
 * It is registered for runtime only (not static init), so building the application never starts a broker.
 */
public final class EmbeddedKafkaConfigSource implements ConfigSource {

    public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";

    @Override
    public Set<String> getPropertyNames() {
        return Set.of(BOOTSTRAP_SERVERS);
    }

    @Override
    public String getValue(String propertyName) {
        return BOOTSTRAP_SERVERS.equals(propertyName) ? EmbeddedKafka.bootstrapServers() : null;
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
