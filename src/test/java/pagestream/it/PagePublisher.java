package pagestream.it;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * A plain Kafka producer, as a user's client: publishes the pages in paced chunks, never more than
 * {@code maxAhead} pages ahead of what the service has consumed (so publishing overlaps every kill and the broker
 * restart, however fast the service catches up after a restart: ingestion never runs dry before the last kill),
 * with a query after every {@code queryEvery} pages, alternating SmallRye's and
 * Spring's request-reply headers. Page i is page {@code i / docs + 1} of document {@code i % docs}, a small PNG
 * of its own.
 */
final class PagePublisher implements AutoCloseable {

    static final String SMALLRYE_CORRELATION = "REPLY_CORRELATION_ID";
    static final String SPRING_CORRELATION = "kafka_correlationId";
    static final List<String> CORRELATION_HEADERS = List.of(SMALLRYE_CORRELATION, SPRING_CORRELATION);
    private static final int CHUNK = 10;
    private static final Duration CHUNK_PAUSE = Duration.ofMillis(200);
    private static final byte[][] IMAGES = new byte[1000][];

    private final KafkaProducer<String, byte[]> producer;
    private final String pagesTopic;
    private final String queriesTopic;
    private final String repliesTopic;
    private final int pages;
    private final int docs;
    private final int queryEvery;
    private final LongSupplier consumed;
    private final int maxAhead;
    private final Map<String, String> queries = new LinkedHashMap<>();
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
    private final Thread thread;

    PagePublisher(String bootstrapServers, String pagesTopic, String queriesTopic, String repliesTopic, int pages,
            int docs, int queryEvery, LongSupplier consumed, int maxAhead) {
        if (pages > IMAGES.length) {
            throw new IllegalArgumentException("at most " + IMAGES.length + " pages");
        }
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                // The broker may be down for seconds: keep retrying, never drop a page.
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 180_000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000),
                new StringSerializer(), new ByteArraySerializer());
        this.pagesTopic = pagesTopic;
        this.queriesTopic = queriesTopic;
        this.repliesTopic = repliesTopic;
        this.pages = pages;
        this.docs = docs;
        this.queryEvery = queryEvery;
        this.consumed = consumed;
        this.maxAhead = maxAhead;
        this.thread = new Thread(this::publish, "page-publisher");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    static String docId(int doc) {
        return String.format("doc-%03d", doc);
    }

    /** The page number of the i-th published page (its document is {@code i % docs}). */
    static int pageOf(int i, int docs) {
        return i / docs + 1;
    }

    /** The PNG published as the i-th page: its own colours and bars, so no two pages embed alike. */
    static synchronized byte[] image(int i) {
        if (IMAGES[i] == null) {
            BufferedImage image = new BufferedImage(64, 80, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setColor(new Color(Color.HSBtoRGB(i * 0.137f, 0.3f, 0.95f)));
            g.fillRect(0, 0, 64, 80);
            g.setColor(new Color(Color.HSBtoRGB(i * 0.311f + 0.5f, 0.8f, 0.3f)));
            for (int bar = 0; bar < 2 + i % 5; bar++) {
                g.fillRect((i * 7 + bar * 5) % 32, (bar * 13 + i * 3) % 74, 16 + (i + bar) % 40, 4);
            }
            g.dispose();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                ImageIO.write(image, "png", out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            IMAGES[i] = out.toByteArray();
        }
        return IMAGES[i];
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends one query now and waits until the broker has it; returns its correlation id. */
    String sendQueryNow() throws Exception {
        String id = sendQuery();
        producer.flush();
        return id;
    }

    /** The text of the query with this correlation id (the reply echoes it). */
    static String queryText(String correlationId) {
        return "which page shows bar " + correlationId.substring("query-".length()) + "?";
    }

    /** Correlation id → the header it travels in, for every query sent. */
    synchronized Map<String, String> queries() {
        return Map.copyOf(queries);
    }

    /** Waits until every page and query is published and acknowledged by the broker. */
    void awaitPublished(Duration timeout) throws Exception {
        thread.join(timeout.toMillis());
        if (thread.isAlive()) {
            throw new AssertionError("publishing did not finish within " + timeout);
        }
        producer.flush();
        if (sendFailure.get() != null) {
            throw new AssertionError("a page or query could not be published", sendFailure.get());
        }
    }

    private void publish() {
        try {
            for (int i = 0; i < pages; i++) {
                while (i - consumed.getAsLong() >= maxAhead) { // -1 (unknown: broker down, nothing committed) waits
                    TimeUnit.MILLISECONDS.sleep(CHUNK_PAUSE.toMillis() / 2);
                }
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(pagesTopic, docId(i % docs), image(i));
                record.headers().add("page", Integer.toString(pageOf(i, docs)).getBytes(StandardCharsets.UTF_8));
                record.headers().add("content-type", "image/png".getBytes(StandardCharsets.UTF_8));
                producer.send(record, this::sent);
                if ((i + 1) % queryEvery == 0) {
                    sendQuery();
                }
                if ((i + 1) % CHUNK == 0) {
                    TimeUnit.MILLISECONDS.sleep(CHUNK_PAUSE.toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            sendFailure.compareAndSet(null, e);
        }
    }

    private synchronized String sendQuery() {
        int n = queries.size();
        boolean spring = n % 2 == 1;
        String id = "query-" + n;
        String json = "{\"query\": \"" + queryText(id) + "\", \"top_k\": 3}";
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(queriesTopic, id,
                json.getBytes(StandardCharsets.UTF_8));
        String correlationHeader = spring ? SPRING_CORRELATION : SMALLRYE_CORRELATION;
        record.headers().add(correlationHeader, id.getBytes(StandardCharsets.UTF_8));
        record.headers().add(spring ? "kafka_replyTopic" : "REPLY_TOPIC", repliesTopic.getBytes(StandardCharsets.UTF_8));
        queries.put(id, correlationHeader);
        producer.send(record, this::sent);
        return id;
    }

    private void sent(Object metadata, Exception failure) {
        if (failure != null) {
            sendFailure.compareAndSet(null, failure);
        }
    }

    @Override
    public void close() {
        thread.interrupt();
        producer.close(Duration.ofSeconds(10));
    }
}
