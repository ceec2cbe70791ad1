package pagestream.api;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.PageStreamConfig;
import pagestream.model.ColPaliModel;
import pagestream.store.PointIds;
import pagestream.store.SearchFilter;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs in the Quarkus test application only to share its class loader (PyTorch loads once per JVM) and its model;
 * the pipeline under test is its own: a second broker, store and Kafka Streams on a temporary data directory.
 *
 * <p>Stops Kafka Streams, the embedding executor, the store and the broker while pages are being ingested, starts
 * them again on the same data directory, and checks that every page ends up stored exactly once, the input is
 * fully consumed and nothing was dead-lettered.
 */
@QuarkusTest
@Tag("quarkus")
@TestProfile(EmbeddedServiceProfile.class)
class RestartExactlyOnceTest {

    private static final int PAGES = 60;
    private static final int DOCS = 12;
    private static final String APP_ID = "pagestream-restart-test";

    @TempDir
    Path dataDir;

    @Inject
    ColPaliModel model;

    @Test
    void everyPageIsStoredExactlyOnceAcrossAStopMidStream() throws Exception {
        PageStreamConfig config = StandaloneConfig.of(Map.of(
                "pagestream.data-dir", dataDir.toString(),
                "pagestream.embedded-kafka.port", "0",
                "pagestream.batch.max-size", "4",
                "pagestream.batch.max-wait", "PT0.1S",
                "pagestream.batch.page-sub-batch", "2",
                "pagestream.limits.max-message-bytes", Integer.toString(8 << 20)));
        byte[][] images = {TestPages.png(), TestPages.jpeg()};

        try (InProcessPipeline first = InProcessPipeline.start(config, model, APP_ID)) {
            try (var producer = new KafkaProducer<String, byte[]>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, first.bootstrapServers(),
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20),
                    new StringSerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < PAGES; i++) {
                    var record = new ProducerRecord<>(config.topics().pages(), docId(i), images[i % 2]);
                    record.headers().add("page", Integer.toString(page(i)).getBytes(StandardCharsets.UTF_8));
                    producer.send(record);
                }
            }
            await("some pages stored before the stop", () -> first.store().count(SearchFilter.any()) >= 4);
            assertThat(first.store().count(SearchFilter.any())).as("stopped mid-stream").isLessThan(PAGES);
        }

        try (InProcessPipeline second = InProcessPipeline.start(config, model, APP_ID)) {
            await("all pages stored after the restart", () -> second.store().count(SearchFilter.any()) == PAGES);
            for (int i = 0; i < PAGES; i++) {
                assertThat(second.store().get(PointIds.of(null, docId(i), page(i)))).as(docId(i) + "/" + page(i))
                        .isPresent();
            }
            try (PipelineProbe probe = new PipelineProbe(second, APP_ID)) {
                await("input fully consumed", () -> lag(probe, config.topics().pages()) == 0);
                assertThat(second.store().count(SearchFilter.any())).isEqualTo(PAGES);
                assertThat(probe.endOffsets(config.topics().pagesDlq())).as("dead-lettered pages").isZero();
            }
        }
    }

    private static String docId(int i) {
        return "doc-" + (i % DOCS);
    }

    private static int page(int i) {
        return i / DOCS + 1;
    }

    /** Records of {@code topic} the application has not committed yet, or -1 while that cannot be read. */
    private static long lag(PipelineProbe probe, String topic) {
        try {
            return probe.endOffsets(topic) - probe.committed(topic);
        } catch (Exception e) {
            return -1;
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        PipelineProbe.await(what, Duration.ofSeconds(120), condition);
    }
}
