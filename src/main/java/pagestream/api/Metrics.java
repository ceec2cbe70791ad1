package pagestream.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import pagestream.embed.EmbeddingExecutor;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The service's own meters, exported at {@code /q/metrics} (Prometheus names in brackets):
 * <ul>
 *   <li>pages stored [{@code pagestream_pages_ingested_total}] — its rate is pages/s;</li>
 *   <li>items and model calls of the embedding executor [{@code pagestream_embedded_total} and
 *       {@code pagestream_embed_calls_total}, tag {@code kind} = pages|queries]: their ratio is the batch size;</li>
 *   <li>time in the model per call [{@code pagestream_embed_seconds}, tag {@code kind}]: count, sum, max and
 *       histogram buckets, so p50/p99 come from {@code histogram_quantile};</li>
 *   <li>items per model call [{@code pagestream_embed_batch_size}, tag {@code kind}]: the batch size
 *       distribution, buckets 1, 2, 4, ... 64;</li>
 *   <li>embedding executor queue depths [{@code pagestream_queue_depth}, tag {@code queue} =
 *       queries|page-batches];</li>
 *   <li>dead-lettered records [{@code pagestream_dlq_total}, tags {@code topic} and {@code reason}];</li>
 *   <li>query latency from request to answer [{@code pagestream_query_seconds}, tag {@code via} = kafka|http]: for
 *       Kafka from the query record's timestamp to the reply's send (visible to the requester once the broker has
 *       it; with {@code exactly_once_v2} queries only at the transaction commit that follows, up to
 *       {@code pagestream.queries.commit-interval} later); for HTTP the request's handling.</li>
 * </ul>
 */
@ApplicationScoped
public class Metrics {

    /** For code Kafka instantiates by class name (interceptors); set while the application runs. */
    private static volatile Metrics installed;

    private final MeterRegistry registry;
    private final Counter pagesIngested;

    @Inject
    public Metrics(MeterRegistry registry) {
        this.registry = registry;
        this.pagesIngested = Counter.builder("pagestream.pages.ingested")
                .description("Pages embedded and stored").register(registry);
    }

    void install(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        installed = this;
    }

    void uninstall(@Observes ShutdownEvent event) {
        installed = null;
    }

    /** The running application's meters, or {@code null} outside it. */
    public static Metrics installed() {
        return installed;
    }

    public void pagesIngested(int pages) {
        pagesIngested.increment(pages);
    }

    /** Meters read from the executor at each scrape: its counters and queue depths. */
    public void executor(EmbeddingExecutor executor) {
        for (EmbeddingExecutor.Kind kind : EmbeddingExecutor.Kind.values()) {
            modelCallTimer(kind); // registered now so that both kinds are exported before the first call
            batchSize(kind);
        }
        FunctionCounter.builder("pagestream.embedded", executor, e -> e.stats().pages())
                .description("Items embedded").tag("kind", "pages").register(registry);
        FunctionCounter.builder("pagestream.embedded", executor, e -> e.stats().queries())
                .description("Items embedded").tag("kind", "queries").register(registry);
        FunctionCounter.builder("pagestream.embed.calls", executor, e -> e.stats().pageSubBatches())
                .description("Model calls").tag("kind", "pages").register(registry);
        FunctionCounter.builder("pagestream.embed.calls", executor, e -> e.stats().queryBatches())
                .description("Model calls").tag("kind", "queries").register(registry);
        FunctionCounter.builder("pagestream.embed.page.pauses", executor, e -> e.stats().pagePauses())
                .description("Page model calls stopped at a layer boundary while a query was queued or running")
                .register(registry);
        FunctionCounter.builder("pagestream.embed.page.paused", executor, e -> e.stats().pagePausedNanos() / 1e9)
                .description("Time page model calls spent stopped for queries").baseUnit("seconds")
                .register(registry);
        queueDepth("queries", executor::queuedQueries);
        queueDepth("page-batches", executor::queuedPageBatches);
    }

    /** An {@link EmbeddingExecutor.CallListener}: one model call of {@code items} pages or queries. */
    public void modelCall(EmbeddingExecutor.Kind kind, int items, long nanos) {
        modelCallTimer(kind).record(nanos, TimeUnit.NANOSECONDS);
        batchSize(kind).record(items);
    }

    private Timer modelCallTimer(EmbeddingExecutor.Kind kind) {
        return Timer.builder("pagestream.embed").description("Time in the model per call")
                .tag("kind", tag(kind)).publishPercentileHistogram().register(registry);
    }

    private DistributionSummary batchSize(EmbeddingExecutor.Kind kind) {
        return DistributionSummary.builder("pagestream.embed.batch.size").description("Items per model call")
                .tag("kind", tag(kind)).serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64).register(registry);
    }

    private static String tag(EmbeddingExecutor.Kind kind) {
        return kind == EmbeddingExecutor.Kind.PAGES ? "pages" : "queries";
    }

    public void deadLettered(String topic, String reason) {
        Counter.builder("pagestream.dlq").description("Records sent to a dead-letter topic")
                .tag("topic", topic).tag("reason", reason).register(registry).increment();
    }

    public void queryAnswered(String via, Duration took) {
        Timer.builder("pagestream.query").description("Query latency, request to answer").tag("via", via)
                .publishPercentileHistogram().register(registry).record(took);
    }

    /** Registers a gauge on a queue's depth ({@code queue} = executor, batch, ...), read at each scrape. */
    public void queueDepth(String queue, Supplier<Number> depth) {
        Gauge.builder("pagestream.queue.depth", depth).description("Items waiting").tag("queue", queue)
                .register(registry);
    }
}
