package pagestream.api;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class StandaloneConfigTest {

    private static final String MAX_SIZE = "pagestream.batch.max-size";

    /** With a variable that is no setting: a shell or image may define one, it must not break a command. */
    private static final Map<String, String> ENVIRONMENT = Map.of("PAGESTREAM_BATCH_MAX_SIZE", "11",
            "PAGESTREAM_TOPICS_PARTITIONS", "7", "PAGESTREAM_HOME", "/opt/pagestream");

    @Test
    void environmentVariablesChangeDefaults() {
        assertThat(StandaloneConfig.of(Map.of(), Map.of()).topics().partitions()).isEqualTo(3);
        assertThat(StandaloneConfig.of(Map.of(), ENVIRONMENT).topics().partitions()).isEqualTo(7);
        assertThat(StandaloneConfig.of(Map.of(), ENVIRONMENT).batch().maxSize()).isEqualTo(11);
    }

    @Test
    void aSystemPropertyBeatsTheEnvironmentAndAnOverrideBeatsBoth() {
        String previous = System.getProperty(MAX_SIZE);
        System.setProperty(MAX_SIZE, "13");
        try {
            assertThat(StandaloneConfig.of(Map.of()).batch().maxSize()).isEqualTo(13);
            assertThat(StandaloneConfig.of(Map.of(), ENVIRONMENT).batch().maxSize()).isEqualTo(13);
            assertThat(StandaloneConfig.of(Map.of(MAX_SIZE, "5"), ENVIRONMENT).batch().maxSize()).isEqualTo(5);
        } finally {
            if (previous == null) {
                System.clearProperty(MAX_SIZE);
            } else {
                System.setProperty(MAX_SIZE, previous);
            }
        }
    }
}
