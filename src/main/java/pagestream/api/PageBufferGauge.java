package pagestream.api;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import pagestream.stream.PageStreamTopology;

/**
 * {@code pagestream_queue_depth{queue="page-buffer"}}: pages waiting in the micro-batch buffer (the state store of
 * this instance's page tasks), read at each scrape. RocksDB's count is an estimate; NaN while Kafka Streams is not
 * RUNNING (the store cannot be queried then).
 */
@ApplicationScoped
public class PageBufferGauge {

    @Inject
    Instance<KafkaStreams> streams;

    @Inject
    Metrics metrics;

    void register(@Observes StartupEvent event) {
        metrics.queueDepth("page-buffer", this::bufferedPages);
    }

    double bufferedPages() {
        KafkaStreams kafkaStreams = streams.isResolvable() ? streams.get() : null;
        if (kafkaStreams == null || kafkaStreams.state() != KafkaStreams.State.RUNNING) {
            return Double.NaN;
        }
        try {
            return kafkaStreams.store(StoreQueryParameters.fromNameAndType(PageStreamTopology.PAGE_BUFFER_STORE,
                    QueryableStoreTypes.keyValueStore())).approximateNumEntries();
        } catch (InvalidStateStoreException e) {
            return Double.NaN; // a rebalance moved the tasks between the state check and the query
        }
    }
}
