package pagestream.api;

import io.quarkus.kafka.streams.runtime.KafkaStreamsPropertiesUtil;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.eclipse.microprofile.config.spi.ConfigProviderResolver;
import org.junit.jupiter.api.Test;
import pagestream.stream.PageStreamTopology;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service's ingestion Kafka Streams application runs the settings of
 * {@link PageStreamTopology#ingestionStreamsProperties} (what {@code InProcessPipeline} runs), read the way
 * {@code quarkus-kafka-streams} reads them: every {@code kafka-streams.*} entry of the application's configuration.
 */
class IngestionStreamsDefaultsTest {

    @Test
    void serviceRunsTheTopologysIngestionSettingsDerivedFromItsPageStreamSettings() throws IOException {
        // Not the defaults: the derived values (threads, producer request size) must follow these.
        Map<String, String> deployment = Map.of(
                "pagestream.topics.partitions", "6",
                "pagestream.limits.max-message-bytes", String.valueOf(100 << 20));
        // ... set as a container sets them: environment variables.
        Map<String, String> environment = Map.of(
                "PAGESTREAM_TOPICS_PARTITIONS", "6",
                "PAGESTREAM_LIMITS_MAX_MESSAGE_BYTES", String.valueOf(100 << 20));

        Properties streams = kafkaStreamsPropertiesAsTheExtensionReadsThem(environment, Map.of());

        PageStreamTopology.ingestionStreamsProperties(StandaloneConfig.of(deployment))
                .forEach((key, value) -> assertThat(streams.getProperty(key)).as(key).isEqualTo(String.valueOf(value)));
        assertThat(streams.getProperty("num.stream.threads")).isEqualTo("6");
        // application.properties' own kafka-streams.* settings are still there.
        assertThat(streams.getProperty("producer.interceptor.classes")).isEqualTo(DeadLetterCounter.class.getName());
    }

    @Test
    void anExplicitKafkaStreamsSettingStillWins() throws IOException {
        Properties streams = kafkaStreamsPropertiesAsTheExtensionReadsThem(Map.of(),
                Map.of("kafka-streams.consumer.session.timeout.ms", "30000"));

        assertThat(streams.getProperty("consumer.session.timeout.ms")).isEqualTo("30000");
        assertThat(streams.getProperty("processing.guarantee")).isEqualTo("exactly_once_v2");
    }

    /**
     * The built-in {@code application.properties} at its Quarkus ordinal, {@code environment} variables and
     * {@code operatorOverrides} above it, and the sources the application registers as
     * services; read by the extension's own {@link KafkaStreamsPropertiesUtil#appKafkaStreamsProperties()}. The
     * configuration is registered for a class loader of this test only, so no other test sees it.
     */
    private static Properties kafkaStreamsPropertiesAsTheExtensionReadsThem(Map<String, String> environment,
            Map<String, String> operatorOverrides) throws IOException {
        URL applicationProperties = IngestionStreamsDefaultsTest.class.getResource("/application.properties");
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .addDiscoveredSources()
                .withSources(new PropertiesConfigSource(applicationProperties, 250))
                .withSources(new EnvConfigSource(environment, 300))
                .withSources(new PropertiesConfigSource(operatorOverrides, "operator", 300))
                .build();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        ConfigProviderResolver resolver = ConfigProviderResolver.instance();
        try (URLClassLoader isolated = new URLClassLoader(new URL[0], previous)) {
            resolver.registerConfig(config, isolated);
            thread.setContextClassLoader(isolated);
            try {
                return KafkaStreamsPropertiesUtil.appKafkaStreamsProperties();
            } finally {
                thread.setContextClassLoader(previous);
                resolver.releaseConfig(config);
            }
        }
    }
}
