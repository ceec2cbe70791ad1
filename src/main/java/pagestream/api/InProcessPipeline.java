package pagestream.api;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import pagestream.PageStreamConfig;
import pagestream.embed.EmbeddingExecutor;
import pagestream.kafka.BrokerSecurity;
import pagestream.kafka.EmbeddedKafkaBroker;
import pagestream.kafka.PageStreamTopics;
import pagestream.model.ColPaliModel;
import pagestream.store.MultiVectorStore;
import pagestream.stream.PageStreamTopology;
import pagestream.stream.QueryAuthorizer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service's data path without Quarkus: the embedded broker, topics, the vector store
 * ({@code pagestream.store.*}, the embedded one by default), the embedding executor and the two Kafka Streams
 * applications of {@link PageStreamTopology} (ingestion, and queries from {@link QueryApplication}), all on
 * {@code pagestream.data-dir}, wired as the application wires them. For benchmarks and restart tests; the model is
 * the caller's and stays open.
 */
public final class InProcessPipeline implements AutoCloseable {

    private final EmbeddedKafkaBroker broker;
    private final String queriesTopic;
    private final MultiVectorStore store;
    private final EmbeddingExecutor executor;
    private final String applicationId;
    private final KafkaStreams streams;
    private final KafkaStreams queryStreams;
    private final AtomicInteger ingestionRebalances = new AtomicInteger();
    private final AtomicInteger queryRebalances = new AtomicInteger();

    private InProcessPipeline(EmbeddedKafkaBroker broker, String queriesTopic, MultiVectorStore store,
            EmbeddingExecutor executor, String applicationId, KafkaStreams streams, KafkaStreams queryStreams) {
        this.broker = broker;
        this.queriesTopic = queriesTopic;
        this.store = store;
        this.executor = executor;
        this.applicationId = applicationId;
        this.streams = streams;
        this.queryStreams = queryStreams;
    }

    /**
     * Starts everything and returns once both Kafka Streams applications are RUNNING with every partition of their
     * input topic assigned as an active task. {@code applicationId} is the ingestion application's; the query
     * application's is {@code applicationId + "-queries"}.
     */
    public static InProcessPipeline start(PageStreamConfig config, ColPaliModel model, String applicationId)
            throws Exception {
        int maxMessageBytes = config.limits().maxMessageBytes();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(config.dataDir().resolve("kafka"),
                config.embeddedKafka().port(), maxMessageBytes, BrokerSecurity.from(config.embeddedKafka()));
        Map<String, Object> adminConfig = new HashMap<>(broker.clientProperties());
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        int pagePartitions;
        int queryPartitions;
        try (Admin admin = Admin.create(adminConfig)) {
            PageStreamTopics.createMissing(admin, PageStreamTopics.required(config.topics(), maxMessageBytes));
            Map<String, TopicDescription> inputs = admin.describeTopics(
                    List.of(config.topics().pages(), config.topics().queries())).allTopicNames().get();
            pagePartitions = inputs.get(config.topics().pages()).partitions().size();
            queryPartitions = inputs.get(config.topics().queries()).partitions().size();
        }
        MultiVectorStore store = VectorStores.open(config);
        store.ensureCollection(model.embeddingDim());
        EmbeddingExecutor executor = new EmbeddingExecutor(model, config.batch().pageSubBatch(),
                config.batch().maxQueryBatch());
        Properties props = new Properties();
        props.putAll(PageStreamTopology.ingestionStreamsProperties(config));
        props.putAll(broker.clientProperties());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.dataDir().resolve("kafka-streams").toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        KafkaStreams streams = new KafkaStreams(PageStreamTopology.ingestion(config, executor, store), props);
        streams.setUncaughtExceptionHandler(new StreamThreadReplacer());
        // Query events are checked against API keys only here: OIDC needs Quarkus.
        QueryAuthorizer queryAuthorizer = CallerAuthenticator.apiKeysOnly(ApiKeys.from(config.api()))
                .forQueries(config.queries());
        KafkaStreams queryStreams = QueryApplication.create(props, config, executor, store, latency -> { },
                queryAuthorizer);
        InProcessPipeline pipeline = new InProcessPipeline(broker, config.topics().queries(), store, executor,
                applicationId, streams, queryStreams);
        streams.setStateListener(countRebalances(pipeline.ingestionRebalances));
        queryStreams.setStateListener(countRebalances(pipeline.queryRebalances));
        streams.start();
        queryStreams.start();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!settled(streams, pagePartitions) || !settled(queryStreams, queryPartitions)) {
            if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR
                    || queryStreams.state() == KafkaStreams.State.ERROR) {
                pipeline.close();
                throw new IllegalStateException("Kafka Streams did not settle: ingestion " + streams.state() + " with "
                        + activeTasks(streams) + " of " + pagePartitions + " tasks, queries " + queryStreams.state()
                        + " with " + activeTasks(queryStreams) + " of " + queryPartitions);
            }
            Thread.sleep(50);
        }
        return pipeline;
    }

    /**
     * RUNNING with every input partition an active task. RUNNING alone is not settled: when the threads join at
     * different moments, a cooperative rebalance that moves a partition to a later thread first revokes it and
     * reports RUNNING with that partition unassigned, then rebalances again a moment later.
     */
    private static boolean settled(KafkaStreams streams, int partitions) {
        return streams.state() == KafkaStreams.State.RUNNING && activeTasks(streams) >= partitions;
    }

    private static int activeTasks(KafkaStreams streams) {
        return streams.metadataForLocalThreads().stream().mapToInt(thread -> thread.activeTasks().size()).sum();
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public MultiVectorStore store() {
        return store;
    }

    public EmbeddingExecutor executor() {
        return executor;
    }

    /** The ingestion application (pages). */
    public KafkaStreams streams() {
        return streams;
    }

    /** The query application. */
    public KafkaStreams queryStreams() {
        return queryStreams;
    }

    /** The consumer group that commits {@code topic}: the query application's for the queries topic. */
    public String groupOf(String topic) {
        return topic.equals(queriesTopic) ? PageStreamTopology.queryApplicationId(applicationId)
                : applicationId;
    }

    private static KafkaStreams.StateListener countRebalances(AtomicInteger count) {
        return (now, before) -> {
            if (now == KafkaStreams.State.REBALANCING) {
                count.incrementAndGet();
            }
        };
    }

    /**
     * Times the ingestion application entered REBALANCING since start (the first assignment and every replaced page
     * thread included): no task of it runs then.
     */
    public int ingestionRebalances() {
        return ingestionRebalances.get();
    }

    /** Times the query application entered REBALANCING since start. */
    public int queryRebalances() {
        return queryRebalances.get();
    }

    /**
     * Stops in dependency order: both Kafka Streams applications (the query one first), the executor (finishing
     * queued work), the store, the broker.
     */
    @Override
    public void close() {
        try {
            queryStreams.close(Duration.ofMinutes(1));
            streams.close(Duration.ofMinutes(1));
            executor.close();
            store.close();
        } finally {
            broker.close();
        }
    }
}
