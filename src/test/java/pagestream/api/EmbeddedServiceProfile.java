package pagestream.api;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The service on embedded defaults, as a user runs it with no configuration, except: the broker on a free port,
 * a fresh data directory, the tiny golden checkpoint, a short batch wait, and a SmallRye request-reply channel
 * ({@code search}) that the tests use as a client would.
 */
public class EmbeddedServiceProfile implements QuarkusTestProfile {

    public static final String MODEL_DIR = "src/test/resources/golden/tiny-a";

    /** A fresh data directory for one test application. */
    static Path newDataDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What every test application shares: its data directory, the broker and HTTP server on free ports, the tiny
     * checkpoint on the CPU, small quick batches, test-sized messages and a short commit interval.
     */
    static Map<String, String> serviceOnTinyModel(Path dataDir) {
        return Map.of(
                "pagestream.data-dir", dataDir.toString(),
                "pagestream.embedded-kafka.port", "0",
                "quarkus.http.test-port", "0",
                "pagestream.model", MODEL_DIR,
                "pagestream.device", "cpu",
                "pagestream.batch.max-size", "4",
                "pagestream.batch.max-wait", "PT0.1S",
                "pagestream.limits.max-message-bytes", "8388608",
                "kafka-streams.commit.interval.ms", "100");
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> overrides = new HashMap<>(serviceOnTinyModel(newDataDir("pagestream-e2e-")));
        overrides.putAll(Map.ofEntries(
                Map.entry("pagestream.store.type", "embedded"),
                // SmallRye's consumers default to group.id = the application name, which is also Kafka Streams'
                // application id ("pagestream"): a client joining that group breaks the service's rebalance.
                Map.entry("mp.messaging.connector.smallrye-kafka.group.id", "pagestream-test-client"),
                Map.entry("mp.messaging.outgoing.search.connector", "smallrye-kafka"),
                Map.entry("mp.messaging.outgoing.search.topic", "pagestream.queries"),
                Map.entry("mp.messaging.outgoing.search.reply.topic", "pagestream.replies"),
                Map.entry("mp.messaging.outgoing.search.key.serializer",
                        "org.apache.kafka.common.serialization.StringSerializer"),
                Map.entry("mp.messaging.outgoing.search.value.serializer",
                        "org.apache.kafka.common.serialization.StringSerializer"),
                Map.entry("mp.messaging.outgoing.search.reply.key.deserializer",
                        "org.apache.kafka.common.serialization.StringDeserializer"),
                Map.entry("mp.messaging.outgoing.search.reply.value.deserializer",
                        "org.apache.kafka.common.serialization.StringDeserializer"),
                Map.entry("mp.messaging.outgoing.search.reply.timeout", "60000")));
        return overrides;
    }
}
