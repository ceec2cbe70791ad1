package pagestream.kafka;

import org.eclipse.microprofile.config.ConfigProvider;
import pagestream.PageStreamConfig;

/**
 * The process-wide embedded broker, started on first use. It is started from configuration lookup (see
 * {@link EmbeddedKafkaConfigSource}) because that is the one point that every Kafka client of the application —
 * Kafka Streams, SmallRye messaging, admin clients — passes through before it connects, whatever the start-up
 * order of the beans. {@link EmbeddedKafkaShutdown} stops it when the application stops.
 */
public final class EmbeddedKafka {

    private static EmbeddedKafkaBroker broker;

    private EmbeddedKafka() {
    }

    /** Starts the broker from the {@code pagestream.*} settings unless it is running; returns its bootstrap servers. */
    public static synchronized String bootstrapServers() {
        if (broker == null) {
            PageStreamConfig config = ConfigProvider.getConfig().unwrap(io.smallrye.config.SmallRyeConfig.class)
                    .getConfigMapping(PageStreamConfig.class);
            broker = EmbeddedKafkaBroker.start(config.dataDir().resolve("kafka"), config.embeddedKafka().port(),
                    config.limits().maxMessageBytes(), BrokerSecurity.from(config.embeddedKafka()));
        }
        return broker.bootstrapServers();
    }

    public static synchronized boolean isRunning() {
        return broker != null;
    }

    public static synchronized void stop() {
        if (broker != null) {
            try {
                broker.close();
            } finally {
                broker = null;
            }
        }
    }
}
