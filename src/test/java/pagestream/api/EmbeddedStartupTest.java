package pagestream.api;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import pagestream.PageStreamConfig;
import pagestream.kafka.EmbeddedKafka;
import pagestream.stream.PageStreamTopology;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@QuarkusTest
@Tag("quarkus")
@TestProfile(EmbeddedServiceProfile.class)
class EmbeddedStartupTest {

    @Inject
    PageStreamConfig config;

    /** The extension's configuration of the ingestion KafkaStreams. */
    @Inject
    StreamsConfig ingestion;

    @Test
    void embeddedBrokerRunsAndTopicsExistWithoutAnyKafkaConfiguration() throws Exception {
        String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
        assertThat(EmbeddedKafka.isRunning()).isTrue();
        assertThat(bootstrap).startsWith("localhost:").isNotEqualTo("localhost:9092");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("pagestream.pages",
                    "pagestream.queries", "pagestream.replies", "pagestream.pages.dlq", "pagestream.queries.dlq");
        }
    }

    @Test
    void ingestionRunsTheTopologysSettingsForTheseLimits() {
        // The profile's 8 MiB pages: 9 MiB producer requests, not what the 50 MiB default would need.
        assertThat(config.limits().maxMessageBytes()).isEqualTo(8 << 20);
        PageStreamTopology.ingestionStreamsProperties(config).forEach((key, value) ->
                assertThat(String.valueOf(ingestion.originals().get(key))).as(key).isEqualTo(String.valueOf(value)));
    }
}
