package pagestream.api;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import pagestream.kafka.EmbeddedKafka;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@QuarkusTest
@Tag("quarkus")
@TestProfile(EmbeddedServiceProfile.class)
class EmbeddedStartupTest {

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
}
