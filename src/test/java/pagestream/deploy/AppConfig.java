package pagestream.deploy;

import io.quarkus.kafka.streams.runtime.KafkaStreamsRuntimeConfig;
import io.quarkus.runtime.shutdown.ShutdownConfig;
import io.quarkus.vertx.http.runtime.VertxHttpBuildTimeConfig;
import io.quarkus.vertx.http.runtime.VertxHttpConfig;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import pagestream.PageStreamConfig;
import pagestream.api.IngestionStreamsDefaults;
import pagestream.api.StandaloneConfig;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The app's configuration as the tests know it: every {@code pagestream.*} property with its default (reflected
 * from {@link PageStreamConfig}), the Quarkus properties the manifests may set (reflected from Quarkus' own config
 * mappings), Kafka client and Streams property names (from Kafka's config definitions), and the built-in
 * {@code application.properties}. Values resolve as MicroProfile Config does: environment, then the mounted
 * {@code config/application.properties}, then the built-in file, then the default.
 */
final class AppConfig {

    static final Map<String, ConfigMappingProperties.Property> PAGESTREAM =
            ConfigMappingProperties.of(PageStreamConfig.class);

    static final Map<String, ConfigMappingProperties.Property> QUARKUS = quarkusProperties();

    static final Properties BUILT_IN = properties(Repo.read("src/main/resources/application.properties"));

    private static final Set<String> STREAMS_NAMES = new HashSet<>(StreamsConfig.configDef().names());
    private static final Set<String> PRODUCER_NAMES = ProducerConfig.configNames();
    private static final Set<String> CONSUMER_NAMES = ConsumerConfig.configNames();
    private static final Set<String> ADMIN_NAMES = AdminClientConfig.configNames();

    private AppConfig() {}

    private static Map<String, ConfigMappingProperties.Property> quarkusProperties() {
        Map<String, ConfigMappingProperties.Property> all = new LinkedHashMap<>();
        Stream.of(KafkaStreamsRuntimeConfig.class, ShutdownConfig.class, VertxHttpConfig.class, VertxHttpBuildTimeConfig.class)
                .forEach(mapping -> all.putAll(ConfigMappingProperties.of(mapping)));
        return all;
    }

    static Properties properties(String text) {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }

    /** A property's value in a container with this mounted config file and these environment variables. */
    static String effective(String name, Properties mounted, Map<String, String> env) {
        String fromEnv = env.get(ConfigMappingProperties.envName(name));
        if (fromEnv != null) {
            return fromEnv;
        }
        if (mounted.containsKey(name)) {
            return mounted.getProperty(name);
        }
        if (BUILT_IN.containsKey(name)) {
            return BUILT_IN.getProperty(name);
        }
        ConfigMappingProperties.Property property = PAGESTREAM.containsKey(name) ? PAGESTREAM.get(name) : QUARKUS.get(name);
        if (property == null) {
            throw new IllegalArgumentException("unknown property " + name);
        }
        return property.defaultValue();
    }

    static String defaultOf(String name) {
        return effective(name, new Properties(), Map.of());
    }

    /** The topic-name properties of {@code PageStreamConfig.Topics} ({@code String}-valued). */
    static List<String> topicProperties() {
        return PAGESTREAM.values().stream()
                .filter(p -> p.name().startsWith("pagestream.topics.") && p.type() == String.class)
                .map(ConfigMappingProperties.Property::name).toList();
    }

    /**
     * Kafka Streams' application id as Quarkus derives it: {@code quarkus.kafka-streams.application-id}, else the
     * application name, else the Maven artifactId. It is the consumer group and the prefix of internal topics.
     */
    static String applicationId() {
        String id = BUILT_IN.getProperty("quarkus.kafka-streams.application-id");
        if (id == null) {
            id = BUILT_IN.getProperty("quarkus.application.name");
        }
        if (id == null) {
            id = pomArtifactId();
        }
        return id;
    }

    private static String pomArtifactId() {
        try {
            org.w3c.dom.Element project = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(Repo.path("pom.xml").toFile()).getDocumentElement();
            for (org.w3c.dom.Node child = project.getFirstChild(); child != null; child = child.getNextSibling()) {
                if ("artifactId".equals(child.getNodeName())) {
                    return child.getTextContent().trim();
                }
            }
            throw new IllegalStateException("pom.xml has no artifactId");
        } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException | IOException e) {
            throw new IllegalStateException("cannot read pom.xml", e);
        }
    }

    /** Whether {@code key} (without the {@code kafka-streams.} prefix) is a Kafka Streams or client property. */
    static boolean isKafkaStreamsProperty(String key) {
        for (String prefix : List.of("main.consumer.", "restore.consumer.", "global.consumer.", "consumer.")) {
            if (key.startsWith(prefix)) {
                return CONSUMER_NAMES.contains(key.substring(prefix.length()));
            }
        }
        if (key.startsWith("producer.")) {
            return PRODUCER_NAMES.contains(key.substring("producer.".length()));
        }
        if (key.startsWith("admin.")) {
            return ADMIN_NAMES.contains(key.substring("admin.".length()));
        }
        return STREAMS_NAMES.contains(key) || PRODUCER_NAMES.contains(key) || CONSUMER_NAMES.contains(key)
                || ADMIN_NAMES.contains(key);
    }

    /**
     * A setting from the mounted config file, else the built-in application.properties, else the ingestion Kafka
     * Streams setting the app derives from the {@code pagestream.*} settings (no typed default).
     */
    static String setting(Properties mounted, String name) {
        String value = mounted.getProperty(name, BUILT_IN.getProperty(name));
        return value != null ? value : ingestionStreamsDefaults(mounted).get(name);
    }

    /** What {@link IngestionStreamsDefaults} supplies to the app with this mounted config file. */
    private static Map<String, String> ingestionStreamsDefaults(Properties mounted) {
        Map<String, String> pageStream = new LinkedHashMap<>();
        for (Properties file : List.of(BUILT_IN, mounted)) {
            file.stringPropertyNames().stream().filter(name -> name.startsWith("pagestream."))
                    .forEach(name -> pageStream.put(name, file.getProperty(name)));
        }
        return IngestionStreamsDefaults.properties(StandaloneConfig.of(pageStream));
    }

    /** Problems with one entry of a config file the manifests mount; empty when the app knows the property. */
    static List<String> checkProperty(String name, String value) {
        if (name.startsWith("pagestream.")) {
            ConfigMappingProperties.Property property = PAGESTREAM.get(name);
            if (property == null) {
                return List.of(name + ": not a property of PageStreamConfig");
            }
            return convertible(property, value);
        }
        if (name.startsWith("kafka-streams.")) {
            return isKafkaStreamsProperty(name.substring("kafka-streams.".length())) ? List.of()
                    : List.of(name + ": not a Kafka Streams, producer, consumer or admin property");
        }
        if (name.startsWith("kafka.")) {
            // The Kafka client extension hands every kafka.* setting to the app's admin client.
            String key = name.substring("kafka.".length());
            return ADMIN_NAMES.contains(key) || PRODUCER_NAMES.contains(key) || CONSUMER_NAMES.contains(key) ? List.of()
                    : List.of(name + ": not a Kafka client property");
        }
        ConfigMappingProperties.Property property = QUARKUS.get(name);
        if (property == null) {
            return List.of(name + ": not a property of the app's Quarkus extensions");
        }
        return convertible(property, value);
    }

    private static List<String> convertible(ConfigMappingProperties.Property property, String value) {
        try {
            Class<?> type = property.type();
            if (type == int.class || type == Integer.class) {
                Integer.parseInt(value);
            } else if (type == long.class || type == Long.class) {
                Long.parseLong(value);
            } else if (type == short.class || type == Short.class) {
                Short.parseShort(value);
            } else if (type == boolean.class || type == Boolean.class) {
                if (!value.equals("true") && !value.equals("false")) {
                    throw new IllegalArgumentException("not a boolean");
                }
            } else if (type == java.time.Duration.class) {
                java.time.Duration.parse(value);
            }
            return List.of();
        } catch (RuntimeException e) {
            return List.of(property.name() + "=" + value + ": not a " + property.type().getSimpleName());
        }
    }
}
