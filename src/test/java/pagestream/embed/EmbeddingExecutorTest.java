package pagestream.embed;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import pagestream.model.ColPaliModel;
import pagestream.model.ModelOptions;
import pagestream.model.MultiVector;
import pagestream.model.processor.RgbImage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** The executor with the real tiny ColPali model: results equal direct model calls, queries never wait for pages. */
class EmbeddingExecutorTest {

    private static final ColPaliModel MODEL = ColPaliModel.load(Path.of("src/test/resources/golden/tiny-a"),
            ModelOptions.defaults().withDevice(Device.CPU));

    private EmbeddingExecutor executor;

    @AfterEach
    void tearDown() {
        if (executor != null) {
            executor.close();
        }
    }

    private static List<RgbImage> images(int n) {
        List<RgbImage> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] rgb = new byte[56 * 56 * 3];
            for (int p = 0; p < rgb.length; p++) {
                rgb[p] = (byte) ((p * (i + 3) + i * 41) % 251);
            }
            images.add(new RgbImage(56, 56, rgb));
        }
        return images;
    }

    private static void assertSameVectors(MultiVector actual, MultiVector expected) {
        assertThat(actual.rows()).isEqualTo(expected.rows());
        assertThat(actual.dim()).isEqualTo(expected.dim());
        assertThat(actual.data()).containsExactly(expected.data(), offset(1e-5f));
    }

    @Test
    void pageBatchesAreSplitIntoSubBatchesAndMatchTheModel() throws Exception {
        executor = new EmbeddingExecutor(MODEL, 2, 8);
        List<RgbImage> pages = images(5);
        List<MultiVector> vectors = executor.embedPages(pages).get(60, TimeUnit.SECONDS);
        List<MultiVector> direct = MODEL.embedImages(pages);
        assertThat(vectors).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertSameVectors(vectors.get(i), direct.get(i));
        }
        assertThat(executor.stats().pageSubBatches()).isEqualTo(3); // 2 + 2 + 1
    }

    @Test
    void aQueryWaitsAtMostOnePageSubBatchAndConcurrentQueriesShareOneModelCall() throws Exception {
        executor = new EmbeddingExecutor(MODEL, 1, 8);
        CompletableFuture<List<MultiVector>> pages = executor.embedPages(images(24));
        List<String> texts = List.of("revenue", "a chart of costs", "who signed the contract", "page four", "x");
        List<CompletableFuture<MultiVector>> queries = texts.stream().map(executor::embedQuery).toList();

        CompletableFuture.allOf(queries.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        assertThat(pages).isNotDone(); // the queries went ahead of the remaining page sub-batches
        EmbeddingExecutor.Stats stats = executor.stats();
        assertThat(stats.pageSubBatches()).isLessThan(24);
        // Submitted while the model was busy with one page sub-batch: coalesced (at most the first ran alone).
        assertThat(stats.queryBatches()).isLessThanOrEqualTo(2);
        assertThat(stats.queries()).isEqualTo(5);

        List<MultiVector> direct = MODEL.embedQueries(texts);
        for (int i = 0; i < texts.size(); i++) {
            assertSameVectors(queries.get(i).get(), direct.get(i));
        }
        assertThat(pages.get(60, TimeUnit.SECONDS)).hasSize(24);
    }

    @Test
    void aQueryRunsWhileAPageCallIsInFlightAndThePageCallPausesForIt() throws Exception {
        executor = new EmbeddingExecutor(MODEL, 256, 8); // one page call of 256 pages: about a second here
        List<RgbImage> images = images(256);
        CompletableFuture<List<MultiVector>> pages = executor.embedPages(images);
        Thread.sleep(100); // the page lane has started its call
        long start = System.nanoTime();
        MultiVector query = executor.embedQuery("revenue by quarter").get(60, TimeUnit.SECONDS);
        long queryMs = (System.nanoTime() - start) / 1_000_000;

        assertThat(pages).as("the page call still running after the query (%d ms)", queryMs).isNotDone();
        assertSameVectors(query, MODEL.embedQueries(List.of("revenue by quarter")).get(0));
        // One short query may end before the page call's next layer boundary; keep the query lane busy (bursts
        // of two calls' worth, the next burst queued before the last call of this one) until one meets it.
        while (!pages.isDone() && executor.stats().pagePauses() == 0) {
            List<CompletableFuture<MultiVector>> burst = IntStream.range(0, 16)
                    .mapToObj(i -> executor.embedQuery("query " + i)).toList();
            burst.get(7).get(60, TimeUnit.SECONDS);
        }
        List<MultiVector> vectors = pages.get(60, TimeUnit.SECONDS);
        EmbeddingExecutor.Stats stats = executor.stats();
        assertThat(stats.pageSubBatches()).isEqualTo(1);
        // The call stopped at a layer boundary for the query and resumed where it stopped: the same results.
        assertThat(stats.pagePauses()).isGreaterThanOrEqualTo(1);
        assertThat(stats.pagePausedNanos()).isPositive();
        List<MultiVector> direct = MODEL.embedImages(images);
        for (int i = 0; i < images.size(); i++) {
            assertSameVectors(vectors.get(i), direct.get(i));
        }
        assertThat(lanePriorities()).containsEntry("queries", Thread.NORM_PRIORITY)
                .containsEntry("pages", Thread.MIN_PRIORITY);
    }

    /** Priority of each lane thread of the executor under test, by lane name. */
    private static Map<String, Integer> lanePriorities() {
        String suffix = "-" + MODEL.id();
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("pagestream-embed-") && t.getName().endsWith(suffix))
                .collect(Collectors.toMap(
                        t -> t.getName().substring("pagestream-embed-".length(), t.getName().length() - suffix.length()),
                        Thread::getPriority, (a, b) -> a));
    }

    @Test
    void shutdownFinishesQueuedWorkThenRefusesNewWork() throws Exception {
        executor = new EmbeddingExecutor(MODEL, 1, 8);
        CompletableFuture<List<MultiVector>> pages = executor.embedPages(images(6));
        CompletableFuture<MultiVector> query = executor.embedQuery("last query");
        assertThat(executor.shutdown(Duration.ofSeconds(60))).isTrue();
        assertThat(pages).isCompleted();
        assertThat(pages.join()).hasSize(6);
        assertThat(query).isCompleted();

        CompletableFuture<MultiVector> late = executor.embedQuery("too late");
        assertThatThrownBy(late::join).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(RejectedExecutionException.class);
    }
}
