package pagestream.stream;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pagestream.stream.BadInputGenerator.Expected;
import pagestream.stream.BadInputGenerator.Message;
import pagestream.stream.BadInputGenerator.Outcome;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Unit-level fuzzing of the two event decoders, without Kafka: the generator's 10,000 events get exactly their
 * expected outcome from {@link PageEventDecoder} / {@link ReplyRoute} + {@link QueryEventCodec} +
 * {@link QueryTokenLimit} (the same calls the processors make), and 50,000 more randomly mutated inputs never
 * make either decoder throw or take longer
 * than a bound; every refusal carries a documented reason code.
 */
class BadInputDecoderFuzzTest {

    static final long SEED = 20261127L;
    static final Set<String> PAGE_REASONS = Set.of("empty_value", "oversize", "missing_key", "bad_key",
            "unsupported_content_type", "content_type_mismatch", "corrupt_image", "too_many_pixels", "corrupt_pdf",
            "encrypted_pdf", "too_many_pages", "render_timeout", "bad_page_header", "bad_tenant", "bad_metadata",
            "bad_json", "unknown_field", "wrong_type", "missing_field", "doc_id_mismatch", "conflicting_fields");
    static final Set<String> QUERY_CODES = Set.of("bad_json", "unknown_field", "wrong_type", "missing_field",
            "empty_query", "bad_top_k", "oversize", "empty_value");
    /** Per input; generous for a loaded 2-core machine (the slowest generated input takes about a second). */
    private static final Duration PER_INPUT = Duration.ofSeconds(30);
    /** tiny-a's input size. */
    private static final int IMAGE_SIZE = 56;

    private static final ExecutorService WORKER = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "decoder-fuzz");
        thread.setDaemon(true);
        return thread;
    });

    private final PageEventDecoder pageDecoder = PageEventDecoder.of(StreamTestSupport.config(
            BadInputPipelineFuzzTest.settings()).limits(), IMAGE_SIZE);
    private final QueryEventCodec queryCodec = new QueryEventCodec(BadInputGenerator.MAX_QUERY_BYTES,
            BadInputGenerator.MAX_TOP_K);
    private final QueryTokenLimit tokenLimit = new QueryTokenLimit(TinyModel.get().processor(),
            StreamTestSupport.config(java.util.Map.of()).limits().maxQueryTokens());

    @BeforeAll
    static void quietPdfBox() {
        QuietPdfBox.on();
    }

    @AfterAll
    static void stopWorker() {
        WORKER.shutdownNow();
        QuietPdfBox.off();
    }

    @Test
    void everyGeneratedEventGetsExactlyItsExpectedOutcome() {
        List<Message> messages = new BadInputGenerator(SEED).generate(BadInputPipelineFuzzTest.MESSAGES);
        List<String> wrong = new ArrayList<>();
        for (Message message : messages) {
            Actual actual = message.topic() == BadInputGenerator.Topic.PAGES ? pageOutcome(message)
                    : queryOutcome(message);
            if (!allowed(message.expected(), actual)) {
                wrong.add(message + " but got " + actual);
            }
        }
        assertThat(wrong).as("events whose outcome differs from the generator's expectation").isEmpty();
    }

    @Test
    void fiftyThousandMutatedInputsNeverThrowOrHang() {
        Random random = new Random(SEED);
        List<byte[]> pageSeeds = List.of(TestPages.png(1), TestPages.jpeg(2),
                TestPages.encode(TestPages.drawing(20, 20, 3), "gif"),
                TestPages.encode(TestPages.drawing(20, 20, 4), "bmp"),
                TestPages.encode(TestPages.drawing(20, 20, 5), "tiff"), TestPages.pngDeclaring(64));
        byte[] pdf = TestPages.pdf(1);
        String image = Base64.getEncoder().encodeToString(TestPages.png(6));
        byte[] envelope = BadInputGenerator.utf8("{\"doc_id\": \"d\", \"page\": 2, \"tenant\": \"t\", \"metadata\": "
                + "{\"a\": [1, {\"b\": null}]}, \"image_base64\": \"" + image + "\"}");
        byte[] query = BadInputGenerator.utf8("{\"query\": \"revenue by quarter\", \"top_k\": 5, \"filter\": "
                + "{\"tenant\": \"acme\", \"doc_id\": \"d\"}}");

        for (int i = 0; i < 50_000; i++) {
            int kind = i % 10;
            String label = "input " + i + " (seed " + SEED + ")";
            if (kind < 4) { // images: 20,000
                byte[] value = mutate(random, pageSeeds.get(random.nextInt(pageSeeds.size())));
                assertPageRefusedOrDecoded(label, value, new RecordHeaders());
            } else if (kind == 4 && i % 100 == 4) { // PDFs: 500 (PDFBox is slow)
                assertPageRefusedOrDecoded(label, mutate(random, pdf), new RecordHeaders());
            } else if (kind < 7) { // JSON page envelopes: ~10,500
                RecordHeaders headers = new RecordHeaders();
                headers.add("content-type", BadInputGenerator.utf8("application/json"));
                assertPageRefusedOrDecoded(label, mutate(random, envelope), headers);
            } else { // queries: 15,000
                byte[] value = mutate(random, query);
                QueryEventCodec.Parsed parsed = timed(label, () -> queryCodec.parse(value));
                assertThat(parsed.request().isPresent()).as(label).isNotEqualTo(parsed.rejection().isPresent());
                parsed.rejection().ifPresent(r -> assertThat(r.reason()).as(label + ": " + r).isIn(QUERY_CODES));
            }
        }
    }

    private void assertPageRefusedOrDecoded(String label, byte[] value, RecordHeaders headers) {
        PageEventDecoder.Result result = timed(label, () -> pageDecoder.decode(BadInputGenerator.utf8("doc"), value,
                headers));
        assertThat(result.pages().isEmpty()).as(label).isEqualTo(result.rejection().isPresent());
        result.rejection().ifPresent(r -> assertThat(r.reason()).as(label + ": " + r).isIn(PAGE_REASONS));
    }

    /** Byte flips, insertions, deletions, truncation and splices of repeated runs. */
    static byte[] mutate(Random random, byte[] original) {
        byte[] bytes = original.clone();
        for (int round = 0, rounds = 1 + random.nextInt(4); round < rounds; round++) {
            int at = random.nextInt(bytes.length);
            switch (random.nextInt(5)) {
                case 0 -> bytes[at] = (byte) random.nextInt(256);
                case 1 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
                case 2 -> bytes = java.util.Arrays.copyOf(bytes, Math.max(1, at));
                case 3 -> { // repeat a short run (long strings, deep nesting, big numbers)
                    int length = 1 + random.nextInt(Math.min(8, bytes.length - at));
                    int times = 1 + random.nextInt(2000);
                    byte[] grown = new byte[bytes.length + length * times];
                    System.arraycopy(bytes, 0, grown, 0, at);
                    for (int t = 0; t < times; t++) {
                        System.arraycopy(bytes, at, grown, at + t * length, length);
                    }
                    System.arraycopy(bytes, at, grown, at + length * times, bytes.length - at);
                    bytes = grown;
                }
                default -> {
                    byte[] special = {0, (byte) 0xFF, '"', '{', '}', '[', ']', ',', ':', '\\', (byte) 0xC0, '-', '9'};
                    bytes[at] = special[random.nextInt(special.length)];
                }
            }
        }
        return bytes;
    }

    /** What a processor does with the event. */
    record Actual(Outcome outcome, String reason, int pages) {
        @Override
        public String toString() {
            return outcome + (reason == null ? "" : " " + reason) + (pages > 0 ? " " + pages + " pages" : "");
        }
    }

    private Actual pageOutcome(Message message) {
        if (message.value() == null) { // a tombstone: the processor checks the key itself
            return message.key() == null || message.key().length == 0 ? new Actual(Outcome.PAGE_DLQ, "missing_key", 0)
                    : new Actual(Outcome.STORED, null, 0);
        }
        PageEventDecoder.Result result = timed(message.toString(), () -> pageDecoder.decode(message.key(),
                message.value(), message.headers()));
        return result.rejection().map(r -> new Actual(Outcome.PAGE_DLQ, r.reason(), 0))
                .orElseGet(() -> new Actual(Outcome.STORED, null, result.pages().size()));
    }

    private Actual queryOutcome(Message message) {
        ReplyRoute.Resolved route = ReplyRoute.of(message.headers(), "pagestream.replies");
        if (route.rejection().isPresent()) {
            return new Actual(Outcome.QUERY_DLQ, route.rejection().get().reason(), 0);
        }
        QueryEventCodec.Parsed parsed = queryCodec.parse(message.value());
        java.util.Optional<Rejection> rejection = parsed.rejection()
                .or(() -> tokenLimit.check(parsed.request().orElseThrow().query()));
        if (rejection.isEmpty()) {
            return new Actual(Outcome.REPLY, null, 0);
        }
        return new Actual(route.route().orElseThrow().explicit() ? Outcome.ERROR_REPLY : Outcome.QUERY_DLQ,
                rejection.get().reason(), 0);
    }

    static boolean allowed(Expected expected, Actual actual) {
        if (actual.outcome() == Outcome.STORED) {
            return expected.mayStore() || expected.outcome() == Outcome.STORED
                    && (expected.pages() == 0 || expected.pages() == actual.pages());
        }
        return actual.outcome() == expected.outcome()
                && (expected.reasons().isEmpty() || expected.reasons().contains(actual.reason()));
    }

    private static <T> T timed(String label, Supplier<T> call) {
        Future<T> future = WORKER.submit(call::get);
        try {
            return future.get(PER_INPUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new AssertionError(label + ": still decoding after " + PER_INPUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(label + ": interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(label + ": the decoder threw " + e.getCause(), e.getCause());
        }
    }
}
