package pagestream.api;

import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;
import pagestream.PageStreamConfig;
import pagestream.embed.EmbeddingExecutor;
import pagestream.model.ColPaliModel;
import pagestream.store.MultiVectorStore;
import pagestream.stream.PageStreamTopology;
import org.apache.kafka.streams.Topology;

import java.time.Duration;

/**
 * The model, its embedding executor and the vector store, created once at start-up (a missing model or an
 * unreachable store stops the start with a clear error) and closed together in the one safe order: the executor
 * finishes its queued work, then the store and the model close. One owner, because CDI does not order disposers.
 */
@Singleton
@Startup
public class ServiceComponents {

    private static final Logger LOG = Logger.getLogger(ServiceComponents.class);

    private final PageStreamConfig config;
    private final ColPaliModel model;
    private final EmbeddingExecutor executor;
    private final MultiVectorStore store;
    private final Metrics metrics;

    @Inject
    public ServiceComponents(PageStreamConfig config, Metrics metrics) {
        this.config = config;
        this.metrics = metrics;
        long start = System.nanoTime();
        this.model = ModelLoader.load(config);
        LOG.infof("Model %s loaded in %d ms (embedding dim %d, image size %d)", model.id(),
                Duration.ofNanos(System.nanoTime() - start).toMillis(), model.embeddingDim(), model.imageSize());
        MultiVectorStore opened;
        try {
            opened = VectorStores.open(config);
            opened.ensureCollection(model.embeddingDim());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        this.store = new MeteredMultiVectorStore(opened, metrics);
        this.executor = new EmbeddingExecutor(model, config.batch().pageSubBatch(), config.batch().maxQueryBatch(),
                metrics::modelCall);
        metrics.executor(executor);
    }

    /**
     * The topology {@code quarkus-kafka-streams} runs. {@code @Singleton}, not a normal scope: Kafka Streams reads
     * the topology's internal builder field directly, which a client proxy would hide (an empty topology).
     */
    @Produces
    @Singleton
    Topology topology(CallerAuthenticator authenticator) {
        return PageStreamTopology.build(config, executor, store, took -> metrics.queryAnswered("kafka", took),
                authenticator.forQueries(config.queries()));
    }

    @Produces
    @Singleton
    ColPaliModel model() {
        return model;
    }

    @Produces
    @Singleton
    EmbeddingExecutor executor() {
        return executor;
    }

    @Produces
    @Singleton
    MultiVectorStore store() {
        return store;
    }

    @PreDestroy
    void close() {
        try {
            executor.close();
        } finally {
            try {
                store.close();
            } finally {
                model.close();
            }
        }
    }
}
