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

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Sends queries at a steady rate through Kafka request-reply (the SmallRye headers the service answers to) and
 * times each reply on a receiver thread. Open loop: a slow reply does not delay the next query, as with real users.
 * Each latency is split in three with the reply record's timestamp (the stream thread's clock when it picked the
 * query up) and the reply's {@code took_ms} (embedding and search): the wait until a stream thread processes the
 * query; embedding and search; the rest, delivery: the send, and with {@code exactly_once_v2} queries the wait for
 * the transaction commit (replies are read {@code read_committed}, as request-reply clients do).
 */
final class QueryLoad implements AutoCloseable {

    /** The latencies of one phase, in milliseconds. */
    static final class Phase {
        final String name;
        final List<Double> total = new ArrayList<>();
        final List<Double> pickup = new ArrayList<>();
        final List<Double> processing = new ArrayList<>();
        final List<Double> delivery = new ArrayList<>();
        final List<Double> sentAtSeconds = new ArrayList<>(); // since the phase's first query
        int sent;
        private long startNanos = -1;

        Phase(String name) {
            this.name = name;
        }

        synchronized void record(double totalMs, double pickupMs, double processingMs, double deliveryMs,
                                 long sentNanos) {
            total.add(totalMs);
            pickup.add(pickupMs);
            processing.add(processingMs);
            delivery.add(deliveryMs);
            sentAtSeconds.add((sentNanos - startNanos) / 1e9);
        }

        synchronized void sending(long nanos) {
            if (startNanos < 0) {
                startNanos = nanos;
            }
        }

        synchronized int answered() {
            return total.size();
        }

        /**
         * The {@code n} slowest replies as "total (pickup / embed+search / deliver) at T s" (T: when the query was
         * sent, from the phase's first query; stalls bunched at the start are warm-up), slowest first.
         */
        synchronized List<String> slowest(int n) {
            return IntStream.range(0, total.size()).boxed()
                    .sorted((a, b) -> Double.compare(total.get(b), total.get(a))).limit(n)
                    .map(i -> String.format("%.0f (%.0f / %.0f / %.0f) at %.1f s", total.get(i), pickup.get(i),
                            processing.get(i), delivery.get(i), sentAtSeconds.get(i)))
                    .toList();
        }

        synchronized double p(List<Double> values, int percentile) {
            return percentile(values.stream().mapToDouble(Double::doubleValue).toArray(), percentile);
        }
    }

    private static final Pattern TOOK_MS = Pattern.compile("\"took_ms\":(\\d+)");

    private record Sent(Phase phase, long nanos, long wallMs) {
    }

    private final String queryTopic;
    private final String replyTopic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> replies;
    private final Map<Long, Sent> outstanding = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong();
    private final Thread receiver;
    private volatile boolean stopped;

    QueryLoad(String bootstrap, String queryTopic, String replyTopic) {
        this.queryTopic = queryTopic;
        this.replyTopic = replyTopic;
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.LINGER_MS_CONFIG, 0), new ByteArraySerializer(), new ByteArraySerializer());
        replies = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "bench-replies-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        replies.subscribe(List.of(replyTopic));
        while (replies.assignment().isEmpty()) {
            replies.poll(Duration.ofMillis(100));
        }
        receiver = new Thread(this::receive, "bench-query-replies");
        receiver.setDaemon(true);
        receiver.start();
    }

    /**
     * Sends {@code ratePerSecond} queries per second into {@code phase} until {@code done} holds (checked before
     * each query), then waits up to a minute for their replies.
     */
    void run(Phase phase, double ratePerSecond, BooleanSupplier done) throws InterruptedException {
        long interval = (long) (1e9 / ratePerSecond);
        long next = System.nanoTime();
        while (!done.getAsBoolean()) {
            send(phase, "figure in report section " + (phase.sent % 9));
            phase.sent++;
            next += interval;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                TimeUnit.NANOSECONDS.sleep(sleep);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (phase.answered() < phase.sent && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        if (phase.answered() < phase.sent) {
            throw new IllegalStateException(phase.name + ": " + (phase.sent - phase.answered()) + " of "
                    + phase.sent + " queries got no reply within a minute");
        }
    }

    private void send(Phase phase, String text) {
        long id = nextId.incrementAndGet();
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(queryTopic, null,
                ("{\"query\": \"" + text + "\", \"top_k\": 5}").getBytes(StandardCharsets.UTF_8));
        record.headers().add("REPLY_CORRELATION_ID", ByteBuffer.allocate(8).putLong(id).array());
        record.headers().add("REPLY_TOPIC", replyTopic.getBytes(StandardCharsets.UTF_8));
        long nanos = System.nanoTime();
        phase.sending(nanos);
        outstanding.put(id, new Sent(phase, nanos, System.currentTimeMillis()));
        producer.send(record);
    }

    private void receive() {
        while (!stopped) {
            for (ConsumerRecord<byte[], byte[]> reply : replies.poll(Duration.ofMillis(5))) {
                long nanos = System.nanoTime();
                long wallMs = System.currentTimeMillis();
                Header header = reply.headers().lastHeader("REPLY_CORRELATION_ID");
                Sent sent = header == null || header.value().length != 8 ? null
                        : outstanding.remove(ByteBuffer.wrap(header.value()).getLong());
                if (sent != null) {
                    Matcher took = TOOK_MS.matcher(new String(reply.value(), StandardCharsets.UTF_8));
                    long tookMs = took.find() ? Long.parseLong(took.group(1)) : 0;
                    sent.phase().record((nanos - sent.nanos()) / 1e6, reply.timestamp() - sent.wallMs(), tookMs,
                            wallMs - reply.timestamp() - tookMs, sent.nanos());
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        receiver.join(5_000);
        producer.close();
        replies.close();
    }

    static double percentile(double[] values, int p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }
}
