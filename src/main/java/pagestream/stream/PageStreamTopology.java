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
 * PageStream's Kafka Streams topology, built with the Processor API; every node has a name (the constants below,
 * which tests import) so {@code topology.describe()} reads as the data flow:
 *
 * <pre>
 * Sub-topology 0 (ingestion):
 *   pages-source (pagestream.pages) → page-batcher [page-buffer] → pages-dlq-sink (pagestream.pages.dlq)
 *   page-batcher: decode/validate → buffer → flush (embed on the executor → MultiVectorStore.upsert)
 * Sub-topology 1 (queries):
 *   queries-source (pagestream.queries) → query-handler → replies-sink (reply topic/partition from headers)
 *                                                       → queries-dlq-sink (pagestream.queries.dlq)
 * </pre>
 *
 * Run it with {@link #streamsProperties(PageStreamConfig)} (exactly-once v2, a stream thread per task, large
 * enough producer requests for dead-lettered pages).
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

    private PageStreamTopology() {
    }

    /** How long a query may wait for its embedding before it is answered with a {@code timeout} error. */
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(60);

    /** Input records a stream thread buffers per partition, and fetches per poll (see streamsProperties). */
    static final int INPUT_RECORDS_PER_PARTITION = 8;

    /** {@code buffered.records.per.partition}: deprecated for a bytes-based bound that Kafka 4.1 does not have yet. */
    private static final String BUFFERED_RECORDS_PER_PARTITION = "buffered.records.per.partition";

    /** Buffered pages are model-sized RGB (448x448x3 = 588 KiB for ColPali): allow them in the changelog. */
    static final int BUFFER_CHANGELOG_MAX_MESSAGE_BYTES = 8 << 20;

    public static Topology build(PageStreamConfig config, EmbeddingExecutor executor, MultiVectorStore store) {
        return build(config, executor, store, latency -> { }, QueryAuthorizer.NONE);
    }

    /**
     * As above; {@code queryReplyLatency} gets each Kafka query's latency, request timestamp to reply sent, and
     * {@code queryAuthorizer} says who sent each query event ({@code pagestream.queries.auth}).
     */
    public static Topology build(PageStreamConfig config, EmbeddingExecutor executor, MultiVectorStore store,
            Consumer<Duration> queryReplyLatency, QueryAuthorizer queryAuthorizer) {
        PageStreamConfig.Topics topics = config.topics();
        PageStreamConfig.Limits limits = config.limits();
        int imageSize = executor.model().imageSize();
        Topology topology = new Topology();

        topology.addSource(PAGES_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.pages());
        topology.addProcessor(PAGE_BATCHER,
                () -> new PageBatchProcessor(PageEventDecoder.of(limits, imageSize), executor, store,
                        PAGE_BUFFER_STORE, PAGES_DLQ_SINK, config.batch().maxSize(), config.batch().maxWait(),
                        config.retry()),
                PAGES_SOURCE);
        topology.addStateStore(pageBuffer(), PAGE_BATCHER);
        topology.addSink(PAGES_DLQ_SINK, topics.pagesDlq(), new ByteArraySerializer(), new ByteArraySerializer(),
                PAGE_BATCHER);

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
     * The Kafka Streams settings this topology relies on (the application id, bootstrap servers and state dir come
     * from the deployment). In Quarkus they are set in {@code application.properties} as {@code kafka-streams.*}.
     * <ul>
     *   <li>{@code exactly_once_v2}: buffer changelog writes, DLQ records, replies and input offsets commit
     *       atomically, so no page is acknowledged before it is durable somewhere;</li>
     *   <li>one stream thread per task (pages partitions + queries partitions): Kafka Streams spreads tasks evenly
     *       over a client's threads, so each query task gets a thread of its own, never one held by a page task's
     *       decoding or backpressure wait (a page task's stream thread can block for whole model batches);</li>
     *   <li>few input records buffered per partition ({@value #INPUT_RECORDS_PER_PARTITION}, and per poll): bounds
     *       the heap held by fetched page events to partitions × that × the event size (Kafka's default is 1,000 per
     *       partition); and a stream thread processes everything it has buffered before it polls again, so where
     *       tasks share a thread (more partitions than threads) a query waits behind a few page records, not a
     *       thousand ({@code bench-load}, tiny-a, before both changes: 13 s median reply under ingestion);</li>
     *   <li>producer requests large enough for a dead-lettered page event (the original value is kept);</li>
     *   <li>a transaction timeout that covers the longest wait of a stream thread ({@code pagestream.retry.max-block}:
     *       backpressure, a store outage, a tombstone waiting for the in-flight flush).</li>
     * </ul>
     */
    public static Map<String, Object> streamsProperties(PageStreamConfig config) {
        int maxRequest = Math.max(BUFFER_CHANGELOG_MAX_MESSAGE_BYTES, config.limits().maxMessageBytes() + (1 << 20));
        return Map.of(
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2,
                StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2 * config.topics().partitions(),
                BUFFERED_RECORDS_PER_PARTITION, INPUT_RECORDS_PER_PARTITION,
                StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), INPUT_RECORDS_PER_PARTITION,
                StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), maxRequest,
                StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), 240_000);
    }
}
