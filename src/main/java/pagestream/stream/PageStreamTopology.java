package pagestream.stream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.TopicNameExtractor;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import pagestream.PageStreamConfig;
import pagestream.embed.EmbeddingExecutor;
import pagestream.store.MultiVectorStore;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * PageStream's Kafka Streams topologies, built with the Processor API: one for ingestion and one for queries, each run
 * by its own {@code KafkaStreams} instance (application ids {@code <app-id>} and {@code <app-id>-queries}). Every
 * node has a name (the constants below, which tests import) so {@code topology.describe()} reads as the data flow:
 *
 * <pre>
 * ingestion (application id &lt;app-id&gt;, exactly_once_v2):
 *   pages-source (pagestream.pages) → page-batcher [page-buffer] → pages-dlq-sink (pagestream.pages.dlq)
 *   page-batcher: decode/validate → buffer → flush (embed on the executor → MultiVectorStore.upsert)
 * queries (application id &lt;app-id&gt;-queries, at_least_once by default):
 *   queries-source (pagestream.queries) → query-handler → replies-sink (reply topic/partition from headers)
 *                                                       → queries-dlq-sink (pagestream.queries.dlq)
 * </pre>
 *
 * Why two applications: workloads with different guarantees and latencies do not share stream threads or commits.
 * In one application a query thread still took part in exactly-once commits (a transaction per commit interval,
 * slow on a CPU-starved broker) and its reply stayed invisible to {@code read_committed} clients until then;
 * {@code bench-load} measured a 9× p99 reply latency under ingestion, almost all of it waiting for a stream thread
 * and for the commit. Queries are stateless reads: answering one twice after a crash is harmless, so the query
 * application runs {@code at_least_once} and a reply is visible as soon as the broker has it.
 *
 * Run them with {@link #ingestionStreamsProperties(PageStreamConfig)} and
 * {@link #queryStreamsProperties(PageStreamConfig)}.
 */
public final class PageStreamTopology {

    public static final String PAGES_SOURCE = "pages-source";
    public static final String PAGE_BATCHER = "page-batcher";
    public static final String PAGE_BUFFER_STORE = "page-buffer";
    public static final String PAGES_DLQ_SINK = "pages-dlq-sink";
    public static final String QUERIES_SOURCE = "queries-source";
    public static final String QUERY_HANDLER = "query-handler";
    public static final String REPLIES_SINK = "replies-sink";
    public static final String QUERIES_DLQ_SINK = "queries-dlq-sink";

    /** Appended to the ingestion application id to name the query application (its consumer group too). */
    public static final String QUERIES_APPLICATION_SUFFIX = "-queries";

    /** The query application's state directory, under the ingestion one (it holds no state stores today). */
    public static final String QUERIES_STATE_SUBDIRECTORY = "queries";

    private PageStreamTopology() {
    }

    /** How long a query may wait for its embedding before it is answered with a {@code timeout} error. */
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(60);

    /** Input records a stream thread buffers per partition, and fetches per poll (see ingestionStreamsProperties). */
    static final int INPUT_RECORDS_PER_PARTITION = 8;

    /** {@code buffered.records.per.partition}: deprecated for a bytes-based bound that Kafka 4.1 does not have yet. */
    private static final String BUFFERED_RECORDS_PER_PARTITION = "buffered.records.per.partition";

    /** Buffered pages are model-sized RGB (448x448x3 = 588 KiB for ColPali): allow them in the changelog. */
    static final int BUFFER_CHANGELOG_MAX_MESSAGE_BYTES = 8 << 20;

    /** The query application's commit interval at least once: bounds the queries answered again after a crash. */
    static final Duration QUERIES_AT_LEAST_ONCE_COMMIT_INTERVAL = Duration.ofSeconds(1);

    /** The query application's commit interval exactly once (Kafka Streams' EOS default): replies wait for it. */
    static final Duration QUERIES_EXACTLY_ONCE_COMMIT_INTERVAL = Duration.ofMillis(100);

    public static String queryApplicationId(String applicationId) {
        return applicationId + QUERIES_APPLICATION_SUFFIX;
    }

    /** Ingestion: pages in, the micro-batch buffer, the vector store and the pages DLQ. */
    public static Topology ingestion(PageStreamConfig config, EmbeddingExecutor executor, MultiVectorStore store) {
        PageStreamConfig.Topics topics = config.topics();
        int imageSize = executor.model().imageSize();
        Topology topology = new Topology();
        topology.addSource(PAGES_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.pages());
        topology.addProcessor(PAGE_BATCHER,
                () -> new PageBatchProcessor(PageEventDecoder.of(config.limits(), imageSize), executor, store,
                        PAGE_BUFFER_STORE, PAGES_DLQ_SINK, config.batch().maxSize(), config.batch().maxWait(),
                        config.retry()),
                PAGES_SOURCE);
        topology.addStateStore(pageBuffer(), PAGE_BATCHER);
        topology.addSink(PAGES_DLQ_SINK, topics.pagesDlq(), new ByteArraySerializer(), new ByteArraySerializer(),
                PAGE_BATCHER);
        return topology;
    }

    public static Topology queries(PageStreamConfig config, EmbeddingExecutor executor, MultiVectorStore store) {
        return queries(config, executor, store, latency -> { }, QueryAuthorizer.NONE);
    }

    /**
     * Queries: parse, embed (before any page work on the executor), search, reply on the path the request names.
     * {@code queryReplyLatency} gets each query's latency, request timestamp to reply sent, and
     * {@code queryAuthorizer} says who sent each query event ({@code pagestream.queries.auth}).
     */
    public static Topology queries(PageStreamConfig config, EmbeddingExecutor executor, MultiVectorStore store,
            Consumer<Duration> queryReplyLatency, QueryAuthorizer queryAuthorizer) {
        PageStreamConfig.Topics topics = config.topics();
        PageStreamConfig.Limits limits = config.limits();
        Topology topology = new Topology();
        topology.addSource(QUERIES_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                topics.queries());
        topology.addProcessor(QUERY_HANDLER,
                () -> new QueryProcessor(new QueryEventCodec(limits.maxQueryBytes(), limits.maxTopK()),
                        new QueryTokenLimit(executor.model().processor(), limits.maxQueryTokens()), executor,
                        store, topics.replies(), topics.queriesDlq(), REPLIES_SINK, QUERIES_DLQ_SINK, QUERY_TIMEOUT,
                        queryReplyLatency, queryAuthorizer),
                QUERIES_SOURCE);
        TopicNameExtractor<byte[], RoutedValue> replyTopic = (key, value, recordContext) -> value.topic();
        StreamPartitioner<byte[], RoutedValue> replyPartition = (topic, key, value, partitions) ->
                value.partition().isPresent() ? Optional.of(Set.of(value.partition().getAsInt())) : Optional.empty();
        topology.addSink(REPLIES_SINK, replyTopic, new ByteArraySerializer(), RoutedValue.serializer(),
                replyPartition, QUERY_HANDLER);
        topology.addSink(QUERIES_DLQ_SINK, topics.queriesDlq(), new ByteArraySerializer(), RoutedValue.serializer(),
                QUERY_HANDLER);
        return topology;
    }

    /** The micro-batch buffer: persistent (RocksDB), changelogged, uncached (every write goes to the changelog). */
    static StoreBuilder<KeyValueStore<Long, BufferedPage>> pageBuffer() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PAGE_BUFFER_STORE), Serdes.Long(),
                        BufferedPage.serde())
                .withCachingDisabled()
                .withLoggingEnabled(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                        Integer.toString(BUFFER_CHANGELOG_MAX_MESSAGE_BYTES)));
    }

    /**
     * The Kafka Streams settings the ingestion topology relies on (the application id, bootstrap servers and state
     * dir come from the deployment). The one definition: {@code InProcessPipeline} uses it, and the service gets it
     * as {@code kafka-streams.*} configuration from {@code pagestream.api.IngestionStreamsDefaults}.
     * <ul>
     *   <li>{@code exactly_once_v2}: buffer changelog writes, DLQ records and input offsets commit atomically, so no
     *       page is acknowledged before it is durable somewhere;</li>
     *   <li>one stream thread per pages partition: a page task's thread can block for whole model batches
     *       (decoding, backpressure), and would hold any other task it shared the thread with;</li>
     *   <li>few input records buffered per partition ({@value #INPUT_RECORDS_PER_PARTITION}, and per poll): bounds
     *       the heap held by fetched page events to partitions × that × the event size (Kafka's default is 1,000 per
     *       partition);</li>
     *   <li>producer requests large enough for a dead-lettered page event (the original value is kept);</li>
     *   <li>a transaction timeout that covers the longest wait of a stream thread ({@code pagestream.retry.max-block}:
     *       backpressure, a store outage, a tombstone waiting for the in-flight flush);</li>
     *   <li>a poll interval that allows long model batches, and a 10 s session (not 45 s): a replaced or restarted
     *       stream thread does not leave its group, so its tasks move only when its session expires.</li>
     * </ul>
     */
    public static Map<String, Object> ingestionStreamsProperties(PageStreamConfig config) {
        int maxRequest = Math.max(BUFFER_CHANGELOG_MAX_MESSAGE_BYTES, config.limits().maxMessageBytes() + (1 << 20));
        return Map.of(
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2,
                StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.topics().partitions(),
                BUFFERED_RECORDS_PER_PARTITION, INPUT_RECORDS_PER_PARTITION,
                StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), INPUT_RECORDS_PER_PARTITION,
                StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), maxRequest,
                StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), 240_000,
                StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG), 600_000,
                StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
    }

    /**
     * The Kafka Streams settings of the query application; they override whatever it inherits from the ingestion
     * application's configuration (bootstrap servers and client security are shared).
     * <ul>
     *   <li>{@code pagestream.queries.processing-guarantee}, {@code at_least_once} by default. No reply is lost:
     *       at each commit Kafka Streams first flushes the task's producer ({@code StreamTask#prepareCommit} →
     *       {@code RecordCollector#flush}: every reply and DLQ record sent so far is acknowledged, or the commit
     *       fails with the send error) and only then commits the input offsets; a crash before that re-reads and
     *       re-answers the query. Acknowledged means by all in-sync replicas ({@code acks=all}, set here rather than
     *       relied on as the producer default);</li>
     *   <li>one stream thread per queries partition: a query never waits for another partition's query;</li>
     *   <li>{@code linger.ms=0} (Kafka Streams' producer default is 100 ms): a reply is sent the moment it is
     *       ready, not batched with replies that may never come;</li>
     *   <li>the commit interval of {@code pagestream.queries.commit-interval}: 1 s for at-least-once (a commit flushes
     *       the producer and writes the group's offsets; once a second is cheap, and a crash re-answers at most about
     *       a second of queries), 100 ms for exactly-once (the reply becomes visible only then).</li>
     * </ul>
     * The consumer's {@code fetch.max.wait.ms} stays at its default: the broker answers a fetch as soon as one
     * record is there ({@code fetch.min.bytes=1}), so the wait bounds only idle polls, never a query's pickup.
     */
    public static Map<String, Object> queryStreamsProperties(PageStreamConfig config) {
        String guarantee = config.queries().processingGuarantee();
        boolean exactlyOnce = switch (guarantee) {
            case StreamsConfig.AT_LEAST_ONCE -> false;
            case StreamsConfig.EXACTLY_ONCE_V2 -> true;
            default -> throw new IllegalArgumentException("pagestream.queries.processing-guarantee is '" + guarantee
                    + "'; use " + StreamsConfig.AT_LEAST_ONCE + " or " + StreamsConfig.EXACTLY_ONCE_V2);
        };
        Duration commitInterval = config.queries().commitInterval().orElse(
                exactlyOnce ? QUERIES_EXACTLY_ONCE_COMMIT_INTERVAL : QUERIES_AT_LEAST_ONCE_COMMIT_INTERVAL);
        return Map.of(
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee,
                StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.topics().partitions(),
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval.toMillis(),
                StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0,
                StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
    }
}
