package pagestream.kafka;

import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import pagestream.api.StandaloneConfig;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class PageStreamTopicsTest {

    @Test
    void fiveTopicsWithConfiguredPartitionsAndLargeRecordsOnThePageTopics() {
        var config = StandaloneConfig.of(Map.of("pagestream.topics.partitions", "6",
                "pagestream.topics.pages", "acme.pages", "pagestream.limits.max-message-bytes", "1000000"));
        List<NewTopic> topics = PageStreamTopics.required(config.topics(), config.limits().maxMessageBytes());
        assertThat(topics).extracting(NewTopic::name).containsExactlyInAnyOrder("acme.pages", "pagestream.pages.dlq",
                "pagestream.queries", "pagestream.replies", "pagestream.queries.dlq");
        assertThat(topics).allSatisfy(t -> {
            assertThat(t.numPartitions()).isEqualTo(6);
            assertThat(t.replicationFactor()).isEqualTo((short) 1);
        });
        Set<String> pageTopics = Set.of("acme.pages", "pagestream.pages.dlq");
        assertThat(topics).filteredOn(t -> pageTopics.contains(t.name())).hasSize(2)
                .allSatisfy(t -> assertThat(t.configs()).containsEntry("max.message.bytes", "2048576"));
        assertThat(topics).filteredOn(t -> !pageTopics.contains(t.name())).hasSize(3)
                .allSatisfy(t -> assertThat(t.configs()).isEmpty());
    }
}
