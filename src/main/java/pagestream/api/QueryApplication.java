package pagestream.api;

import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.jboss.logging.Logger;
import pagestream.PageStreamConfig;
import pagestream.embed.EmbeddingExecutor;
import pagestream.store.MultiVectorStore;
import pagestream.stream.PageStreamTopology;
import pagestream.stream.QueryAuthorizer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * The query application: {@link PageStreamTopology#queries} in a {@code KafkaStreams} instance of its own, configured
 * from the ingestion application's settings so that both talk to the same cluster with the same client security
 * (SASL, SSL and any other client setting carry over), with its own application id ({@code <app-id>-queries}: its
 * consumer group), a state directory under the ingestion one, and the query settings of
 * {@link PageStreamTopology#queryStreamsProperties}. The service ({@link QueryStreams}) and {@link InProcessPipeline}
 * both build it here.
 */
public final class QueryApplication {

    private static final Logger LOG = Logger.getLogger(QueryApplication.class);

    private QueryApplication() {
    }

    /** The query application's settings, derived from the ingestion application's ({@code application.id} required). */
    public static Properties properties(Map<?, ?> ingestion, PageStreamConfig config) {
        Object applicationId = ingestion.get(StreamsConfig.APPLICATION_ID_CONFIG);
        if (applicationId == null) {
            throw new IllegalArgumentException("the ingestion settings name no " + StreamsConfig.APPLICATION_ID_CONFIG);
        }
        Object stateDir = ingestion.get(StreamsConfig.STATE_DIR_CONFIG);
        if (stateDir == null) {
            stateDir = StreamsConfig.configDef().defaultValues().get(StreamsConfig.STATE_DIR_CONFIG);
        }
        Properties props = new Properties();
        props.putAll(ingestion);
        props.putAll(PageStreamTopology.queryStreamsProperties(config));
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, PageStreamTopology.queryApplicationId(applicationId.toString()));
        props.put(StreamsConfig.STATE_DIR_CONFIG,
                Path.of(stateDir.toString()).resolve(PageStreamTopology.QUERIES_STATE_SUBDIRECTORY).toString());
        return props;
    }

    /**
     * A new, not yet started instance; {@code replyLatency} gets each query's latency, request to reply sent;
     * {@code authorizer} says who sent each query event.
     */
    public static KafkaStreams create(Map<?, ?> ingestion, PageStreamConfig config, EmbeddingExecutor executor,
            MultiVectorStore store, Consumer<Duration> replyLatency, QueryAuthorizer authorizer) {
        KafkaStreams streams = new KafkaStreams(
                PageStreamTopology.queries(config, executor, store, replyLatency, authorizer),
                properties(ingestion, config));
        streams.setUncaughtExceptionHandler(QueryApplication::replaceThread);
        return streams;
    }

    /**
     * A query stream thread that throws (the query processor answers every input itself, so this is a Kafka client
     * failure, e.g. a reply the broker did not take) is always replaced: the application holds no state, and the new
     * thread reads again from the last committed offset, so the queries the dead thread had not committed are
     * answered again rather than lost.
     */
    static StreamThreadExceptionResponse replaceThread(Throwable exception) {
        LOG.warn("query stream thread failed; replacing it (its uncommitted queries are answered again)", exception);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }
}
