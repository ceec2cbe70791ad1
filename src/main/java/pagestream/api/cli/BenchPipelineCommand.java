package pagestream.api.cli;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import pagestream.PageStreamConfig;
import pagestream.api.InProcessPipeline;
import pagestream.api.ModelLoader;
import pagestream.api.StandaloneConfig;
import pagestream.model.ColPaliModel;
import pagestream.model.processor.ImageDecoder;
import pagestream.model.processor.RgbImage;
import pagestream.store.SearchFilter;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench-pipeline}: end-to-end figures on the embedded broker and store, printed as ratios to a baseline
 * measured in the same run:
 * <ul>
 *   <li>ingestion pages/s (publish → stored) against the model alone embedding the same pages in batches;</li>
 *   <li>query reply latency p50/p99 under full ingestion against the same queries on an idle service.</li>
 * </ul>
 */
public final class BenchPipelineCommand implements CliCommand {

    private static final String APP_ID = "pagestream-bench";
    private static final String REPLY_TOPIC = "pagestream.replies";
    private static final List<String> OPTIONS = List.of("--model", "--pages", "--queries", "--device");

    @Override
    public String name() {
        return "bench-pipeline";
    }

    @Override
    public String usage() {
        return "End-to-end ingestion pages/s and query latency on the embedded broker and store\n"
                + "  --model DIR_OR_REPO  checkpoint (required)\n"
                + "  --pages N            pages to ingest per phase (default 48)\n"
                + "  --queries N          queries per latency phase (default 40)\n"
                + "  --device D           auto|cpu|cuda (default auto)";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        Map<String, String> options = new HashMap<>(Map.of("--pages", "48", "--queries", "40", "--device", "auto"));
        for (int i = 0; i < args.size(); i += 2) {
            if (!args.get(i).startsWith("--") || i + 1 >= args.size() || !OPTIONS.contains(args.get(i))) {
                err.println("bench-pipeline: bad argument '" + args.get(i) + "'\nusage: bench-pipeline " + usage());
                return 2;
            }
            options.put(args.get(i), args.get(i + 1));
        }
        if (!options.containsKey("--model")) {
            err.println("bench-pipeline: --model is required\nusage: bench-pipeline " + usage());
            return 2;
        }
        int pages;
        int queries;
        try {
            pages = Integer.parseInt(options.get("--pages"));
            queries = Integer.parseInt(options.get("--queries"));
        } catch (NumberFormatException e) {
            err.println("bench-pipeline: --pages and --queries take whole numbers: " + e.getMessage());
            return 2;
        }
        Path dataDir = Files.createTempDirectory("pagestream-bench-");
        PageStreamConfig config = StandaloneConfig.of(Map.of(
                "pagestream.model", options.get("--model"),
                "pagestream.device", options.get("--device"),
                "pagestream.data-dir", dataDir.toString(),
                "pagestream.embedded-kafka.port", "0"));
        List<byte[]> events = syntheticPages(pages);

        try (ColPaliModel model = ModelLoader.load(config)) {
            out.printf("model %s (dim %d, image %d px), %d pages of %d KB avg, batch %d, data in %s%n", model.id(),
                    model.embeddingDim(), model.imageSize(), pages,
                    events.stream().mapToInt(e -> e.length).sum() / pages / 1024, config.batch().maxSize(), dataDir);

            double directPagesPerSecond = directThroughput(model, events, config.batch().maxSize());
            try (InProcessPipeline pipeline = InProcessPipeline.start(config, model, APP_ID);
                 Client client = new Client(pipeline.bootstrapServers(), config)) {
                client.query("warm-up"); // first query compiles the query path; not measured
                double[] idle = client.latencies(queries);

                long start = System.nanoTime();
                client.publish(events, "ingest");
                awaitStored(pipeline, pages);
                double pipelinePagesPerSecond = pages / seconds(System.nanoTime() - start);

                client.publish(events, "busy"); // a second round: queries compete with it
                double[] busy = client.latencies(queries);
                awaitStored(pipeline, 2L * pages);

                out.printf("ingestion: %.2f pages/s end to end vs %.2f pages/s model alone = %.2fx%n",
                        pipelinePagesPerSecond, directPagesPerSecond, pipelinePagesPerSecond / directPagesPerSecond);
                out.printf("query latency idle:   p50 %.1f ms, p99 %.1f ms%n", percentile(idle, 50), percentile(idle, 99));
                out.printf("query latency busy:   p50 %.1f ms (%.2fx idle), p99 %.1f ms (%.2fx idle)%n",
                        percentile(busy, 50), percentile(busy, 50) / percentile(idle, 50),
                        percentile(busy, 99), percentile(busy, 99) / percentile(idle, 99));
            }
        }
        return 0;
    }

    private static double directThroughput(ColPaliModel model, List<byte[]> events, int batch) {
        ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);
        List<RgbImage> images = events.stream().map(decoder::decode).toList();
        model.embedImages(images.subList(0, Math.min(batch, images.size()))); // warm-up
        long start = System.nanoTime();
        for (int from = 0; from < images.size(); from += batch) {
            model.embedImages(images.subList(from, Math.min(images.size(), from + batch)));
        }
        return images.size() / seconds(System.nanoTime() - start);
    }

    private static void awaitStored(InProcessPipeline pipeline, long count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        while (pipeline.store().count(SearchFilter.any()) < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("pages not stored within 30 minutes");
            }
            Thread.sleep(20);
        }
    }

    /** Letter-size document pages (text lines, a table and a figure box), rendered at 100 dpi, as PNG. */
    static List<byte[]> syntheticPages(int n) {
        Random random = new Random(42);
        List<byte[]> pages = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            BufferedImage image = new BufferedImage(850, 1100, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, 850, 1100);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SERIF, Font.BOLD, 28));
            g.drawString("Report " + i + ": section " + (1 + random.nextInt(9)), 70, 100);
            g.setFont(new Font(Font.SERIF, Font.PLAIN, 14));
            for (int line = 0; line < 30; line++) {
                g.drawString("Line " + line + " of page " + i + " value " + random.nextInt(100000), 70, 150 + 20 * line);
            }
            g.setColor(new Color(random.nextInt(200), random.nextInt(200), 255));
            g.fillRect(470, 160, 300, 200 + random.nextInt(200));
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

    /** A plain Kafka client: publishes pages, and sends queries with SmallRye request-reply headers. */
    private static final class Client implements AutoCloseable {
        private final KafkaProducer<String, byte[]> producer;
        private final KafkaConsumer<byte[], byte[]> replies;
        private final PageStreamConfig config;

        Client(String bootstrap, PageStreamConfig config) {
            this.config = config;
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG, config.limits().maxMessageBytes(),
                    ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new ByteArraySerializer());
            replies = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, "bench-replies-" + UUID.randomUUID(),
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            replies.subscribe(List.of(REPLY_TOPIC));
            while (replies.assignment().isEmpty()) {
                replies.poll(Duration.ofMillis(100));
            }
        }

        void publish(List<byte[]> pages, String prefix) {
            for (int i = 0; i < pages.size(); i++) {
                producer.send(new ProducerRecord<>(config.topics().pages(), prefix + "-" + i, pages.get(i)));
            }
            producer.flush();
        }

        double[] latencies(int n) throws InterruptedException {
            double[] millis = new double[n];
            for (int i = 0; i < n; i++) {
                millis[i] = query("figure in report section " + (i % 9)) / 1e6;
            }
            return millis;
        }

        /** Sends one query and waits for its reply; returns nanoseconds. */
        long query(String text) {
            byte[] correlation = ByteBuffer.allocate(16).putLong(System.nanoTime()).putLong(text.hashCode()).array();
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(config.topics().queries(), null,
                    ("{\"query\": \"" + text + "\", \"top_k\": 5}").getBytes(StandardCharsets.UTF_8));
            record.headers().add("REPLY_CORRELATION_ID", correlation);
            record.headers().add("REPLY_TOPIC", REPLY_TOPIC.getBytes(StandardCharsets.UTF_8));
            long start = System.nanoTime();
            producer.send(record);
            producer.flush();
            long deadline = start + TimeUnit.MINUTES.toNanos(5);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> reply : replies.poll(Duration.ofMillis(5))) {
                    Header header = reply.headers().lastHeader("REPLY_CORRELATION_ID");
                    if (header != null && Arrays.equals(header.value(), correlation)) {
                        return System.nanoTime() - start;
                    }
                }
            }
            throw new IllegalStateException("no reply to query '" + text + "' within 5 minutes");
        }

        @Override
        public void close() {
            producer.close();
            replies.close();
        }
    }

    private static double percentile(double[] values, int p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
