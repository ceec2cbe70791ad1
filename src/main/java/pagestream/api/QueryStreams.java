package pagestream.api;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import pagestream.PageStreamConfig;
import pagestream.api.health.StreamsState;
import pagestream.embed.EmbeddingExecutor;
import pagestream.store.MultiVectorStore;

import java.time.Duration;

/**
 * Runs the query application ({@link QueryApplication}) in the service, next to the ingestion application that
 * {@code quarkus-kafka-streams} manages. Its settings derive from that one's {@link StreamsConfig} (the extension's
 * bean: {@code quarkus.kafka-streams.*} and every {@code kafka-streams.*} setting, client security included), so the
 * two never disagree about the cluster or the credentials. It starts at {@code StartupEvent}, once the model and the
 * store are up (the executor and store beans come from {@link ServiceComponents}) and after {@code TopicInitializer}
 * created the topics; it closes at {@code ShutdownEvent}, before the executor and store are closed.
 *
 * <p>Not a {@code KafkaStreams} bean on purpose: the extension and {@code PageBufferGauge} look up the single
 * {@code KafkaStreams} (and {@code StateListener}) bean, the ingestion one.
 */
@ApplicationScoped
public class QueryStreams {

    private final StreamsState state = new StreamsState("Kafka Streams (queries)", "queries are no longer answered");

    @Inject
    PageStreamConfig config;

    @Inject
    StreamsConfig ingestionConfig;

    @Inject
    EmbeddingExecutor executor;

    @Inject
    MultiVectorStore store;

    @Inject
    Metrics metrics;

    @Inject
    CallerAuthenticator authenticator;

    private volatile KafkaStreams streams;

    void start(@Observes StartupEvent event) {
        KafkaStreams created = QueryApplication.create(ingestionConfig.originals(), config, executor, store,
                took -> metrics.queryAnswered("kafka", took), authenticator.forQueries(config.queries()));
        created.setStateListener(state);
        streams = created;
        created.start();
    }

    void stop(@Observes ShutdownEvent event) {
        KafkaStreams running = streams;
        if (running != null) {
            running.close(Duration.ofMinutes(1));
        }
    }

    /** The query instance's state, for the health checks. */
    public StreamsState state() {
        return state;
    }
}
