package pagestream.kafka;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import pagestream.PageStreamConfig;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Creates the missing topics at start-up, before Kafka Streams starts: {@code quarkus-kafka-streams} creates its
 * {@code KafkaStreams} from a {@code @Startup} producer at the default observer priority and then waits for the
 * input topics, so this observer runs first ({@code PLATFORM_BEFORE}). Reading {@code kafka.bootstrap.servers}
 * here is also what starts the embedded broker when no external one is configured.
 */
@ApplicationScoped
public class TopicInitializer {

    @Inject
    PageStreamConfig config;

    /** All {@code kafka.*} settings (security included), as the Kafka client extension collects them. */
    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    /**
     * Kafka Streams may be pointed at its own cluster; its topics are created there. The extension treats its
     * default ({@value #STREAMS_DEFAULT}) as "not set" and falls back to {@code kafka.bootstrap.servers}; so do we.
     */
    @ConfigProperty(name = "quarkus.kafka-streams.bootstrap-servers")
    Optional<String> streamsBootstrapServers;

    private static final String STREAMS_DEFAULT = "localhost:9092";

    void createTopics(@Observes @Priority(jakarta.interceptor.Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event)
            throws Exception {
        Map<String, Object> adminConfig = new HashMap<>(kafkaConfig);
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        try (Admin admin = Admin.create(adminConfig)) {
            PageStreamTopics.createMissing(admin,
                    PageStreamTopics.required(config.topics(), config.limits().maxMessageBytes()));
        }
    }

    private String bootstrapServers() {
        return streamsBootstrapServers.filter(s -> !s.isBlank() && !s.equalsIgnoreCase(STREAMS_DEFAULT))
                .orElseGet(() -> org.eclipse.microprofile.config.ConfigProvider.getConfig()
                        .getValue(EmbeddedKafkaConfigSource.BOOTSTRAP_SERVERS, String.class));
    }
}
