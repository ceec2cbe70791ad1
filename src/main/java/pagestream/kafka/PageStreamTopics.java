package pagestream.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.jboss.logging.Logger;
import pagestream.PageStreamConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates the service's topics that are missing (pages, queries, replies and both dead-letter topics) with the
 * configured partitions and replication factor. Existing topics are left exactly as they are.
 */
public final class PageStreamTopics {

    private static final Logger LOG = Logger.getLogger(PageStreamTopics.class);

    private PageStreamTopics() {
    }

    /** The topics with their settings: the page topics carry images and PDFs, so they allow large records. */
    public static List<NewTopic> required(PageStreamConfig.Topics topics, int maxMessageBytes) {
        String largeRecords = Integer.toString(Math.addExact(maxMessageBytes, 1 << 20));
        Map<String, String> pageConfig = Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, largeRecords);
        return List.of(
                newTopic(topics.pages(), topics, pageConfig),
                newTopic(topics.pagesDlq(), topics, pageConfig),
                newTopic(topics.queries(), topics, Map.of()),
                newTopic(topics.replies(), topics, Map.of()),
                newTopic(topics.queriesDlq(), topics, Map.of()));
    }

    /** Creates those of {@code wanted} that do not exist; returns the names it created. */
    public static List<String> createMissing(Admin admin, List<NewTopic> wanted)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
        List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
        List<String> created = new ArrayList<>();
        for (var entry : admin.createTopics(missing).values().entrySet()) {
            try {
                entry.getValue().get(60, TimeUnit.SECONDS);
                created.add(entry.getKey());
            } catch (ExecutionException e) {
                // Another instance created it between our listing and our request: that is what we wanted.
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
        if (!created.isEmpty()) {
            LOG.infof("Created topics %s", created);
        }
        return created;
    }

    private static NewTopic newTopic(String name, PageStreamConfig.Topics topics, Map<String, String> config) {
        return new NewTopic(name, topics.partitions(), topics.replicationFactor()).configs(config);
    }
}
