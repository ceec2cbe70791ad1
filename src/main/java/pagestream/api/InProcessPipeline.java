package pagestream.api;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
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
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service's data path without Quarkus: the embedded broker, topics, the vector store
 * ({@code pagestream.store.*}, the embedded one by default), the embedding executor
 * and Kafka Streams running {@link PageStreamTopology}, all on {@code pagestream.data-dir}, wired as the
 * application wires them. For benchmarks and restart tests; the model is the caller's and stays open.
 */
public final class InProcessPipeline implements AutoCloseable {

    private final EmbeddedKafkaBroker broker;
    private final MultiVectorStore store;
    private final EmbeddingExecutor executor;
    private final KafkaStreams streams;
    private final AtomicInteger rebalances = new AtomicInteger();

    private InProcessPipeline(EmbeddedKafkaBroker broker, MultiVectorStore store, EmbeddingExecutor executor,
            KafkaStreams streams) {
        this.broker = broker;
        this.store = store;
        this.executor = executor;
        this.streams = streams;
    }

    /** Starts everything and returns once Kafka Streams is RUNNING. */
    public static InProcessPipeline start(PageStreamConfig config, ColPaliModel model, String applicationId)
            throws Exception {
        int maxMessageBytes = config.limits().maxMessageBytes();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(config.dataDir().resolve("kafka"),
                config.embeddedKafka().port(), maxMessageBytes, BrokerSecurity.from(config.embeddedKafka()));
        Map<String, Object> adminConfig = new HashMap<>(broker.clientProperties());
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (Admin admin = Admin.create(adminConfig)) {
            PageStreamTopics.createMissing(admin, PageStreamTopics.required(config.topics(), maxMessageBytes));
        }
        MultiVectorStore store = VectorStores.open(config);
        store.ensureCollection(model.embeddingDim());
        EmbeddingExecutor executor = new EmbeddingExecutor(model, config.batch().pageSubBatch(),
                config.batch().maxQueryBatch());
        Properties props = new Properties();
        props.putAll(PageStreamTopology.streamsProperties(config));
        props.putAll(broker.clientProperties());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.dataDir().resolve("kafka-streams").toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // Query events are checked against API keys only here: OIDC needs Quarkus.
        QueryAuthorizer queryAuthorizer = CallerAuthenticator.apiKeysOnly(ApiKeys.from(config.api()))
                .forQueries(config.queries());
        KafkaStreams streams = new KafkaStreams(
                PageStreamTopology.build(config, executor, store, latency -> { }, queryAuthorizer), props);
        streams.setUncaughtExceptionHandler(new StreamThreadReplacer());
        InProcessPipeline pipeline = new InProcessPipeline(broker, store, executor, streams);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.REBALANCING) {
                pipeline.rebalances.incrementAndGet();
            }
        });
        streams.start();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                pipeline.close();
                throw new IllegalStateException("Kafka Streams did not reach RUNNING: " + streams.state());
            }
            Thread.sleep(50);
        }
        return pipeline;
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

    public KafkaStreams streams() {
        return streams;
    }

    /** Times Kafka Streams entered REBALANCING since start (the first assignment included): no task runs then. */
    public int rebalances() {
        return rebalances.get();
    }

    /** Stops in dependency order: Kafka Streams, the executor (finishing queued work), the store, the broker. */
    @Override
    public void close() {
        try {
            streams.close(Duration.ofMinutes(1));
            executor.close();
            store.close();
        } finally {
            broker.close();
        }
    }
}
