package pagestream.api.cli;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import pagestream.PageStreamConfig;
import pagestream.api.InProcessPipeline;
import pagestream.api.ModelLoader;
import pagestream.api.StandaloneConfig;
import pagestream.embed.EmbeddingExecutor;
import pagestream.model.ColPaliModel;
import pagestream.model.processor.ImageDecoder;
import pagestream.model.processor.RgbImage;
import pagestream.store.SearchFilter;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * {@code bench-load}: the service under sustained load, on the embedded broker and store in this process. A backlog
 * of distinct pages is published as fast as the client can, while queries arrive at a steady rate through Kafka
 * request-reply. Reported, each against a baseline from the same run:
 * <ul>
 *   <li>ingestion pages/s (first publish → last page stored) against the model alone on the same pages;</li>
 *   <li>query reply latency p50/p99 under load against the same query stream on the idle service, before the
 *       backlog and after it is drained (the verdict takes the worse ratio; target ≤ 2×);</li>
 *   <li>heap, RSS and (with {@code -XX:NativeMemoryTracking=summary}) the JVM's committed memory over time, and the
 *       RSS growth from the idle start to the end (bounded native memory: near 1×).</li>
 * </ul>
 * Meant to run at {@code java -Xmx1g}: an OutOfMemoryError fails the run.
 */
public final class BenchLoadCommand implements CliCommand {

    private static final String APP_ID = "pagestream-bench";
    private static final long MB = 1 << 20;

    private volatile String phase = "start";

    @Override
    public String name() {
        return "bench-load";
    }

    @Override
    public String usage() {
        return """
                bench-load  ingestion pages/s, query latency idle vs under load, heap and native memory over time
                  --model DIR_OR_REPO  checkpoint (default models/tiny-a)
                  --pages N            backlog of distinct pages to ingest (default 10000)
                  --query-rate R       queries per second, in every phase (default 5)
                  --idle-queries N     queries in each idle phase (default 50)
                  --sample-ms MS       memory sampling interval (default 1000)
                  --device D           auto|cpu|cuda (default auto)
                  --page-sub-batch N   pages per model call (pagestream.batch.page-sub-batch, default 4): how long
                                       a query shares the model with page work
                run it as: java -Xmx1g [-XX:NativeMemoryTracking=summary] ... bench-load
                """;
    }

    @Override
    public int run(List<String> arguments, PrintStream out, PrintStream err) throws Exception {
        int pages;
        int rate;
        int idleQueries;
        int sampleMs;
        String modelName;
        String device;
        int pageSubBatch;
        try {
            CliArgs args = CliArgs.parse(arguments,
                    Set.of("model", "pages", "query-rate", "idle-queries", "sample-ms", "device", "page-sub-batch"),
                    Set.of());
            if (!args.positionals().isEmpty()) {
                throw new UsageException("unexpected argument " + args.positionals().get(0));
            }
            modelName = args.value("model").orElse("models/tiny-a");
            device = args.value("device").orElse("auto");
            pages = args.intValue("pages", 10_000, 1, 10_000_000);
            rate = args.intValue("query-rate", 5, 1, 1000);
            idleQueries = args.intValue("idle-queries", 50, 1, 1_000_000);
            sampleMs = args.intValue("sample-ms", 1000, 10, 3_600_000);
            pageSubBatch = args.intValue("page-sub-batch", 4, 1, 1024);
        } catch (UsageException e) {
            err.println("bench-load: " + e.getMessage() + "\nusage: " + usage());
            return 2;
        }
        Path dataDir = Files.createTempDirectory("pagestream-bench-load-");
        PageStreamConfig config = StandaloneConfig.of(Map.of(
                "pagestream.model", modelName,
                "pagestream.device", device,
                "pagestream.data-dir", dataDir.toString(),
                "pagestream.embedded-kafka.port", "0",
                "pagestream.batch.page-sub-batch", Integer.toString(pageSubBatch)));

        out.printf("load average at start: %s; max heap %d MB; data in %s%n", loadAverage(),
                Runtime.getRuntime().maxMemory() / MB, dataDir);
        long renderStart = System.nanoTime();
        List<byte[]> backlog = pages(pages);
        out.printf("%d pages of %d KB on average rendered in %.1f s%n", pages,
                backlog.stream().mapToLong(page -> page.length).sum() / pages / 1024,
                (System.nanoTime() - renderStart) / 1e9);
        try (ColPaliModel model = ModelLoader.load(config)) {
            int batch = config.batch().maxSize();
            double modelAlone = modelAlonePagesPerSecond(model, backlog.subList(0, Math.min(pages, 8 * batch)), batch);
            out.printf("model %s (dim %d, image %d px), batch %d, sub-batch %d%n", model.id(), model.embeddingDim(),
                    model.imageSize(), batch, config.batch().pageSubBatch());
            try (InProcessPipeline pipeline = InProcessPipeline.start(config, model, APP_ID);
                 QueryLoad queries = new QueryLoad(pipeline.bootstrapServers(), config.topics().queries(),
                         config.topics().replies());
                 MemorySampler memory = new MemorySampler(sampleMs, () -> phase,
                         () -> pipeline.store().count(SearchFilter.any()));
                 GcPauses gc = new GcPauses()) {
                printTasks(out, "ingestion", pipeline.streams());
                printTasks(out, "queries", pipeline.queryStreams());
                phase = "warm-up";
                queries.run(new QueryLoad.Phase("warm-up"), rate, countdown(5));

                phase = "idle";
                QueryLoad.Phase idleBefore = new QueryLoad.Phase("idle before");
                long idleStart = System.nanoTime();
                queries.run(idleBefore, rate, countdown(idleQueries));
                MemorySampler.Sample idleSample = memory.sample();

                phase = "load";
                QueryLoad.Phase underLoad = new QueryLoad.Phase("under load");
                int ingestionRebalancesBefore = pipeline.ingestionRebalances();
                int queryRebalancesBefore = pipeline.queryRebalances();
                long start = System.nanoTime();
                // The backlog goes in first: queries measure the service draining it, not the broker taking a
                // burst of publishes (that burst alone delayed replies by seconds on a loaded 2-core machine).
                double publishSeconds = publish(pipeline.bootstrapServers(), config, backlog);
                queries.run(underLoad, rate, () -> pipeline.store().count(SearchFilter.any()) >= pages);
                long loadEnd = System.nanoTime();
                double ingestSeconds = (loadEnd - start) / 1e9;
                int ingestionRebalances = pipeline.ingestionRebalances() - ingestionRebalancesBefore;
                int queryRebalances = pipeline.queryRebalances() - queryRebalancesBefore;

                phase = "drained";
                QueryLoad.Phase idleAfter = new QueryLoad.Phase("idle after");
                queries.run(idleAfter, rate, countdown(idleQueries));
                long idleAfterEnd = System.nanoTime();
                MemorySampler.Sample endSample = memory.sample();

                report(out, pages, ingestSeconds, publishSeconds, modelAlone, pipeline.executor().stats(),
                        List.of(idleBefore, underLoad, idleAfter));
                out.printf("GC pauses: idle before %s; under load %s; idle after %s%n", gc.between(idleStart, start),
                        gc.between(start, loadEnd), gc.between(loadEnd, idleAfterEnd));
                out.printf("Kafka Streams rebalances under load: ingestion %d, queries %d%n", ingestionRebalances,
                        queryRebalances);
                out.println();
                memory.printTable(out, 20);
                if (!memory.tracksNativeMemory()) {
                    out.println("(NMT: run with -XX:NativeMemoryTracking=summary for the JVM's own committed memory)");
                }
                List<MemorySampler.Sample> all = memory.samples();
                long maxRss = all.stream().mapToLong(MemorySampler.Sample::rss).max().orElse(-1);
                long maxHeap = all.stream().mapToLong(MemorySampler.Sample::heapUsed).max().orElse(-1);
                out.printf("memory: RSS idle %d MB → end %d MB (%.2fx), max %d MB (%.2fx); heap used max %d MB of %d MB%n",
                        idleSample.rss() / MB, endSample.rss() / MB, (double) endSample.rss() / idleSample.rss(),
                        maxRss / MB, (double) maxRss / idleSample.rss(), maxHeap / MB,
                        Runtime.getRuntime().maxMemory() / MB);
            }
        }
        out.printf("load average at end: %s%n", loadAverage());
        return 0;
    }

    private static void report(PrintStream out, int pages, double ingestSeconds, double publishSeconds,
            double modelAlone, EmbeddingExecutor.Stats stats, List<QueryLoad.Phase> phases) {
        double pagesPerSecond = pages / ingestSeconds;
        out.printf("%nbacklog published in %.1f s (%.0f pages/s)%n", publishSeconds, pages / publishSeconds);
        out.printf("ingestion: %.2f pages/s end to end vs %.2f pages/s model alone = %.2fx "
                        + "(%d model calls, %.1f pages each, %.1f ms each; paused at a layer boundary for queries "
                        + "%d times, %.0f ms in all)%n", pagesPerSecond, modelAlone,
                pagesPerSecond / modelAlone, stats.pageSubBatches(), (double) stats.pages() / stats.pageSubBatches(),
                stats.pageNanos() / 1e6 / stats.pageSubBatches(), stats.pagePauses(), stats.pagePausedNanos() / 1e6);
        out.printf("queries: %d model calls, %.2f queries each, %.1f ms each%n", stats.queryBatches(),
                (double) stats.queries() / stats.queryBatches(), stats.queryNanos() / 1e6 / stats.queryBatches());
        out.printf("%n%-12s %7s %8s %8s   %-16s %-16s %-16s%n", "query reply", "queries", "p50 ms", "p99 ms",
                "pickup p50/p99", "embed+search", "deliver");
        for (QueryLoad.Phase p : phases) {
            out.printf("%-12s %7d %8.1f %8.1f   %6.0f / %-7.0f %6.0f / %-7.0f %6.0f / %-7.0f%n", p.name, p.answered(),
                    p.p(p.total, 50), p.p(p.total, 99), p.p(p.pickup, 50), p.p(p.pickup, 99),
                    p.p(p.processing, 50), p.p(p.processing, 99), p.p(p.delivery, 50), p.p(p.delivery, 99));
        }
        QueryLoad.Phase before = phases.get(0);
        QueryLoad.Phase load = phases.get(1);
        QueryLoad.Phase after = phases.get(2);
        // The p99 of a few hundred replies is their 3rd-slowest: show what the slowest were made of.
        out.printf("slowest under load, ms (pickup / embed+search / deliver): %s%n",
                String.join(", ", load.slowest(5)));
        double p99Ratio = Math.max(load.p(load.total, 99) / before.p(before.total, 99),
                load.p(load.total, 99) / after.p(after.total, 99));
        double p50Ratio = Math.max(load.p(load.total, 50) / before.p(before.total, 50),
                load.p(load.total, 50) / after.p(after.total, 50));
        out.printf("verdict: under load / idle (worse of before, after): p50 %.2fx, p99 %.2fx → %s (target ≤ 2x)%n",
                p50Ratio, p99Ratio, p99Ratio <= 2 ? "met" : "NOT met");
    }

    /** One line per stream thread of {@code application}: its tasks (one query partition per thread alone). */
    private static void printTasks(PrintStream out, String application, KafkaStreams streams) {
        streams.metadataForLocalThreads().forEach(thread -> out.printf("%s %s: tasks %s%n", application,
                thread.threadName().replaceAll(".*-(StreamThread-\\d+)$", "$1"),
                thread.activeTasks().stream().map(task -> task.taskId().toString()).sorted().toList()));
    }

    /** Publishes the pages as fast as the broker takes them; returns the seconds it took. */
    private static double publish(String bootstrap, PageStreamConfig config, List<byte[]> pages) {
        long start = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.BUFFER_MEMORY_CONFIG, 16 * MB), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < pages.size(); i++) {
                producer.send(new ProducerRecord<>(config.topics().pages(), "load-" + i, pages.get(i)));
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private static double modelAlonePagesPerSecond(ColPaliModel model, List<byte[]> pages, int batch) {
        ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);
        int size = model.imageSize();
        List<RgbImage> images = pages.stream().map(page -> decoder.decodeResized(page, size, size)).toList();
        int n = images.size();
        model.embedImages(images.subList(0, Math.min(batch, n))); // warm-up
        long start = System.nanoTime();
        for (int from = 0; from < n; from += batch) {
            model.embedImages(images.subList(from, Math.min(n, from + batch)));
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * {@code n} small distinct document pages (240x320 PNG of a few KB: a numbered title, text lines, a coloured
     * figure box and the number as a bar pattern), rendered up front so that publishing the backlog is fast and the
     * rendering does not compete with the pipeline for the CPUs during the measurement.
     */
    static List<byte[]> pages(int n) {
        BufferedImage template = new BufferedImage(240, 320, BufferedImage.TYPE_INT_RGB);
        Graphics2D t = template.createGraphics();
        t.setColor(Color.WHITE);
        t.fillRect(0, 0, 240, 320);
        t.setColor(Color.BLACK);
        t.setFont(new Font(Font.SERIF, Font.PLAIN, 9));
        for (int line = 0; line < 12; line++) {
            t.drawString("Quarterly figures, line " + line + ": revenue, cost and margin by region", 16, 52 + 12 * line);
        }
        t.dispose();
        List<byte[]> pages = new ArrayList<>(n);
        BufferedImage image = new BufferedImage(240, 320, BufferedImage.TYPE_INT_RGB);
        Font title = new Font(Font.SERIF, Font.BOLD, 14);
        for (int i = 0; i < n; i++) {
            Random random = new Random(i);
            Graphics2D g = image.createGraphics();
            g.drawImage(template, 0, 0, null);
            g.setColor(Color.BLACK);
            g.setFont(title);
            g.drawString("Report " + i + ", section " + (1 + random.nextInt(9)), 16, 28);
            for (int bit = 0; bit < 24; bit++) {
                g.setColor((i >> bit & 1) == 1 ? Color.BLACK : Color.LIGHT_GRAY);
                g.fillRect(16 + 8 * bit, 300, 6, 12);
            }
            g.setColor(new Color(random.nextInt(200), random.nextInt(200), 255));
            g.fillRect(130, 200, 90, 40 + random.nextInt(60));
            g.dispose();
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            try {
                ImageIO.write(image, "png", png);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            pages.add(png.toByteArray());
        }
        return pages;
    }

    private static BooleanSupplier countdown(int n) {
        int[] left = {n};
        return () -> left[0]-- <= 0;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
