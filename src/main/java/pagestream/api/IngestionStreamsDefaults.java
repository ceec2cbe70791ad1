package pagestream.api;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.eclipse.microprofile.config.spi.ConfigSource;
import pagestream.PageStreamConfig;
import pagestream.stream.PageStreamTopology;

import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Hands {@link PageStreamTopology#ingestionStreamsProperties(PageStreamConfig)} to the service as
 * {@code kafka-streams.*} configuration, the only place {@code quarkus-kafka-streams} reads Kafka Streams settings
 * from (it builds the ingestion {@code KafkaStreams} itself and offers no hook for its properties).
 *
 * <p>The method is authoritative, not {@code application.properties}: it derives values from {@code pagestream.*}
 * settings ({@code num.stream.threads} from the partitions, the producer's {@code max.request.size} from
 * {@code pagestream.limits.max-message-bytes}), and {@code InProcessPipeline} (CLI, benchmarks, tests) uses it
 * directly, so the service and everything measured without Quarkus run the same settings. The values are computed
 * from the {@code pagestream.*} settings of every other source, so an environment variable or {@code -D} for
 * {@code pagestream.topics.partitions} changes the thread count here too.
 *
 * <p>The ordinal is below {@code application.properties} (250): an operator can still override one of these in a
 * mounted config file, the environment or a system property, as any other {@code kafka-streams.*} setting.
 */
public final class IngestionStreamsDefaults implements ConfigSourceFactory {

    static final String PREFIX = "kafka-streams.";

    static final int ORDINAL = 200;

    private static final String PAGESTREAM_PREFIX = "pagestream.";

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        return List.of(new PropertiesConfigSource(properties(pageStreamConfig(context)),
                "PageStream ingestion Kafka Streams settings (PageStreamTopology)", ORDINAL));
    }

    /** The ingestion settings as {@code kafka-streams.*} configuration entries. */
    public static Map<String, String> properties(PageStreamConfig config) {
        Map<String, String> properties = new TreeMap<>();
        PageStreamTopology.ingestionStreamsProperties(config)
                .forEach((key, value) -> properties.put(PREFIX + key, String.valueOf(value)));
        return properties;
    }

    /** {@link PageStreamConfig} from the {@code pagestream.*} values of the sources built so far. */
    private static PageStreamConfig pageStreamConfig(ConfigSourceContext context) {
        Set<String> names = new HashSet<>();
        for (Iterator<String> it = context.iterateNames(); it.hasNext(); ) {
            String name = it.next();
            if (name.startsWith(PAGESTREAM_PREFIX)) {
                names.add(name);
            }
        }
        ConfigSource pageStreamValues = new ConfigSource() {
            @Override
            public Set<String> getPropertyNames() {
                return names;
            }

            @Override
            public String getValue(String propertyName) {
                ConfigValue value = context.getValue(propertyName);
                return value == null ? null : value.getValue();
            }

            @Override
            public String getName() {
                return "pagestream.* settings of the other sources";
            }
        };
        return new SmallRyeConfigBuilder()
                .withMapping(PageStreamConfig.class)
                .withSources(pageStreamValues)
                // Unknown pagestream.* names are Quarkus' to report, against the application's own mapping.
                .withValidateUnknown(false)
                .build()
                .getConfigMapping(PageStreamConfig.class);
    }
}
