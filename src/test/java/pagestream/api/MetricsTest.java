package pagestream.api;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import pagestream.embed.EmbeddingExecutor;
import pagestream.model.processor.ImageDecoder;
import pagestream.model.processor.RgbImage;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What the Prometheus scrape shows for model calls and Kafka query replies (the end-to-end test scrapes the app). */
class MetricsTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Metrics metrics = new Metrics(registry);

    @Test
    void modelCallsExportBatchSizeBucketsAndLatencyHistograms() {
        try (TestModel model = TestModel.load("src/test/resources/golden/tiny-a");
             EmbeddingExecutor executor = new EmbeddingExecutor(model.model(), 2, 8, metrics::modelCall)) {
            metrics.executor(executor);
            RgbImage page = new ImageDecoder(Long.MAX_VALUE).decode(TestPages.png());
            executor.embedPages(List.of(page, page, page)).join(); // sub-batches of 2 and 1
            executor.embedQuery("a query").join();
        }

        assertThat(registry.get("pagestream.embed.batch.size").tag("kind", "pages").summary().count()).isEqualTo(2);
        assertThat(registry.get("pagestream.embed.batch.size").tag("kind", "pages").summary().totalAmount())
                .isEqualTo(3);
        assertThat(registry.get("pagestream.embed").tag("kind", "queries").timer().count()).isEqualTo(1);
        String scrape = registry.scrape();
        assertThat(scrape).contains(
                "pagestream_embed_batch_size_bucket{kind=\"pages\",le=\"1.0\",} 1.0",
                "pagestream_embed_batch_size_bucket{kind=\"pages\",le=\"2.0\",} 2.0",
                "pagestream_embed_batch_size_count{kind=\"queries\",} 1.0",
                "pagestream_embed_seconds_bucket{kind=\"pages\",le=",
                "pagestream_embed_seconds_count{kind=\"queries\",} 1.0",
                "pagestream_embedded_total{kind=\"pages\",} 3.0",
                // the pages finished before the query came: no page call stopped for it
                "pagestream_embed_page_pauses_total 0.0", "pagestream_embed_page_paused_seconds_total 0.0");
    }

    @Test
    void kafkaAndHttpQueryLatenciesAreSeparateHistograms() {
        metrics.queryAnswered("kafka", Duration.ofMillis(120));
        metrics.queryAnswered("kafka", Duration.ofMillis(80));
        metrics.queryAnswered("http", Duration.ofMillis(15));

        assertThat(registry.get("pagestream.query").tag("via", "kafka").timer().totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(200);
        assertThat(registry.scrape()).contains("pagestream_query_seconds_count{via=\"kafka\",} 2.0",
                "pagestream_query_seconds_bucket{via=\"kafka\",le=", "pagestream_query_seconds_count{via=\"http\",} 1.0");
    }
}
