package pagestream.stream;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.common.PDStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import pagestream.model.processor.ImageFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * A seeded, reproducible stream of page and query events, mostly bad, each carrying the outcome the service must
 * produce for it: stored, dead-lettered with a reason, answered, or answered with an error code. Categories (with
 * weights) cover random and mutated image bytes, truncated PNG/JPEG/PDF, giant declared dimensions in every
 * format, decompression bombs, wrong and missing headers, invalid UTF-8, malformed and huge JSON, unknown content
 * types and malformed reply headers, interleaved with good pages and queries.
 *
 * <p>Every event has a {@value #ID_HEADER} header (its index), copied into its dead letter, and queries that
 * name a reply path use the index as correlation id, so each outcome can be traced back to its event. Mutated
 * inputs have no single certain outcome: they list the outcomes allowed ({@link Expected#mayStore()} and a set
 * of reasons); everything else has exactly one.
 */
final class BadInputGenerator {

    static final String ID_HEADER = "fuzz-id";
    /** Where explicit request-reply queries want their replies (the test creates it). */
    static final String CLIENT_REPLIES = "fuzz.replies";
    /** The limits the generated events are sized against; the test runs the service with them. */
    static final int MAX_MESSAGE_BYTES = 2 << 20;
    static final int MAX_PDF_PAGES = 5;
    static final int MAX_QUERY_BYTES = 65536;
    static final int MAX_TOP_K = 100;

    enum Topic { PAGES, QUERIES }

    enum Outcome {
        /** Every page of the event is in the store. */
        STORED,
        /** On the pages DLQ with one of the reasons. */
        PAGE_DLQ,
        /** A reply with results on the reply path. */
        REPLY,
        /** An error reply with one of the codes on the reply path. */
        ERROR_REPLY,
        /** On the queries DLQ with one of the reasons. */
        QUERY_DLQ
    }

    /**
     * @param outcome  the outcome, or for a page that may be stored, the outcome when it is not
     * @param reasons  the allowed reason codes (DLQ) or error codes (error reply); empty for success
     * @param mayStore a page whose outcome is either stored or {@code outcome} with one of {@code reasons}
     * @param pages    pages stored when it is stored (a PDF's page count); 0 when not known in advance
     */
    record Expected(Outcome outcome, Set<String> reasons, boolean mayStore, int pages) {
        static Expected stored(int pages) {
            return new Expected(Outcome.STORED, Set.of(), false, pages);
        }

        static Expected dead(String reason) {
            return new Expected(Outcome.PAGE_DLQ, Set.of(reason), false, 0);
        }

        static Expected storedOrDead(String... reasons) {
            return new Expected(Outcome.PAGE_DLQ, Set.of(reasons), true, 0);
        }

        static Expected reply() {
            return new Expected(Outcome.REPLY, Set.of(), false, 0);
        }

        static Expected errorReply(String code) {
            return new Expected(Outcome.ERROR_REPLY, Set.of(code), false, 0);
        }

        static Expected queryDead(String reason) {
            return new Expected(Outcome.QUERY_DLQ, Set.of(reason), false, 0);
        }
    }

    /**
     * One event. {@code docId}/{@code tenant} say where a stored page is found; {@code replyTopic} is where a
     * query's (error) reply goes.
     */
    record Message(int id, String category, Topic topic, byte[] key, byte[] value, Headers headers,
            Expected expected, String docId, String tenant, String replyTopic) {

        @Override
        public String toString() {
            return "#" + id + " " + category + " → " + expected;
        }
    }

    private final Random random;
    private final Samples samples;
    private final Map<String, Integer> weights = new LinkedHashMap<>();
    private final Map<String, Function<Integer, Message>> makers = new LinkedHashMap<>();
    private int totalWeight;

    BadInputGenerator(long seed) {
        this.random = new Random(seed);
        this.samples = new Samples();
        registerPages();
        registerQueries();
    }

    /** {@code count} events, the categories drawn by weight; the same seed gives the same events. */
    List<Message> generate(int count) {
        List<Message> messages = new ArrayList<>(count);
        for (int id = 0; id < count; id++) {
            messages.add(next(id));
        }
        return messages;
    }

    /** The category names and their weights, for the report. */
    Map<String, Integer> weights() {
        return Map.copyOf(weights);
    }

    private Message next(int id) {
        int pick = random.nextInt(totalWeight);
        for (Map.Entry<String, Integer> category : weights.entrySet()) {
            pick -= category.getValue();
            if (pick < 0) {
                return makers.get(category.getKey()).apply(id);
            }
        }
        throw new IllegalStateException("weights");
    }

    private void add(String category, int weight, Function<Integer, Message> maker) {
        weights.put(category, weight);
        makers.put(category, maker);
        totalWeight += weight;
    }

    // ---------------------------------------------------------------------------------------------------- pages

    private void registerPages() {
        // good pages
        add("good-png", 120, id -> goodPage(id, "good-png", samples.png(random), "image/png", 1));
        add("good-jpeg", 90, id -> goodPage(id, "good-jpeg", samples.jpeg(random), null, 1));
        add("good-gif-bmp-tiff", 30, id -> goodPage(id, "good-gif-bmp-tiff", samples.otherFormat(random), null, 1));
        add("good-pdf", 30, id -> {
            int pages = 1 + random.nextInt(2);
            return goodPage(id, "good-pdf", samples.pdf(pages), "application/pdf; charset=binary", pages);
        });
        add("good-json-envelope", 40, id -> {
            String doc = "good-" + id;
            String json = "{\"doc_id\": \"" + doc + "\", \"page\": 3, \"tenant\": \"acme\", \"metadata\": {\"n\": "
                    + id + "}, \"image_base64\": \"" + b64(samples.png(random)) + "\"}";
            return page(id, "good-json-envelope", null, utf8(json), Expected.stored(1), doc, "acme",
                    "content-type", "application/json");
        });
        add("good-blank-bomb-png", 2, id -> goodPage(id, "good-blank-bomb-png", samples.blankPng(3000, 3000), null,
                1));
        add("good-poster-pdf", 1, id -> goodPage(id, "good-poster-pdf", samples.posterPdf(), null, 1));

        // random and mutated bytes
        add("random-bytes", 250, id -> badPage(id, "random-bytes", samples.randomNoMagic(random, 4096), null,
                Expected.dead("unsupported_content_type")));
        add("random-bytes-declared-png", 150, id -> badPage(id, "random-bytes-declared-png",
                samples.randomNoMagic(random, 4096), "image/png", Expected.dead("corrupt_image")));
        add("magic-then-garbage", 250, id -> {
            ImageFormat format = ImageFormat.values()[random.nextInt(ImageFormat.values().length)];
            byte[] value = samples.magicThenGarbage(random, format);
            Expected expected = switch (format) {
                case PNG -> Expected.dead("corrupt_image");
                case PDF -> Expected.dead("corrupt_pdf");
                // GIF, BMP and TIFF readers tolerate some garbage; JPEG refuses it but may read a giant size first
                default -> Expected.storedOrDead("corrupt_image", "too_many_pixels");
            };
            return badPage(id, "magic-then-garbage-" + format, value, null, expected);
        });
        add("mutated-image", 700, id -> {
            byte[] value = samples.mutate(random, random.nextBoolean() ? samples.png(random)
                    : random.nextBoolean() ? samples.jpeg(random) : samples.otherFormat(random), 8);
            return badPage(id, "mutated-image", value, null, Expected.storedOrDead("corrupt_image",
                    "too_many_pixels"));
        });
        add("mutated-pdf", 120, id -> badPage(id, "mutated-pdf", samples.mutate(random, samples.pdf(1), 8), null,
                Expected.storedOrDead("corrupt_pdf", "too_many_pages", "too_many_pixels", "render_timeout")));

        // truncated
        add("truncated-png", 250, id -> {
            byte[] png = samples.png(random);
            return badPage(id, "truncated-png", Arrays.copyOf(png, 8 + random.nextInt(png.length / 2 - 8)), null,
                    Expected.dead("corrupt_image"));
        });
        add("truncated-jpeg", 250, id -> {
            byte[] jpeg = samples.jpeg(random);
            return badPage(id, "truncated-jpeg", Arrays.copyOf(jpeg, 3 + random.nextInt(jpeg.length * 2 / 3 - 3)),
                    null, Expected.dead("corrupt_image"));
        });
        add("truncated-pdf", 100, id -> {
            byte[] pdf = samples.pdf(1);
            return badPage(id, "truncated-pdf", Arrays.copyOf(pdf, 5 + random.nextInt(pdf.length / 3)), null,
                    Expected.dead("corrupt_pdf"));
        });

        // giant declared dimensions and decompression bombs
        add("giant-png", 80, id -> badPage(id, "giant-png", TestPages.pngDeclaring(100_000 + random.nextInt(1000)),
                null, Expected.dead("too_many_pixels")));
        add("big-png-no-data", 40, id -> badPage(id, "big-png-no-data", TestPages.pngDeclaring(9000), null,
                Expected.dead("corrupt_image")));
        add("giant-jpeg", 80, id -> badPage(id, "giant-jpeg", samples.jpegDeclaring(65_000), null,
                Expected.dead("too_many_pixels")));
        add("giant-gif", 60, id -> badPage(id, "giant-gif", samples.gifDeclaring(60_000), null,
                Expected.dead("too_many_pixels")));
        add("giant-tiff", 60, id -> badPage(id, "giant-tiff", samples.tiffDeclaring(60_000), null,
                Expected.dead("too_many_pixels")));
        add("giant-bmp", 60, id -> badPage(id, "giant-bmp", samples.bmpDeclaring(60_000), null,
                Expected.dead("corrupt_image"))); // the BMP reader refuses a size its data cannot hold
        add("pdf-giant-image", 30, id -> badPage(id, "pdf-giant-image", samples.pdfWithImage(30_000), null,
                Expected.dead("too_many_pixels")));
        add("pdf-too-many-pages", 40, id -> badPage(id, "pdf-too-many-pages", samples.pdf(MAX_PDF_PAGES + 1), null,
                Expected.dead("too_many_pages")));
        add("pdf-deflate-bomb", 2, id -> badPage(id, "pdf-deflate-bomb", samples.pdfDeflateBomb(), null,
                Expected.dead("corrupt_pdf")));
        add("pdf-encrypted", 30, id -> badPage(id, "pdf-encrypted", samples.encryptedPdf(), null,
                Expected.dead("encrypted_pdf")));

        // sizes and keys
        add("empty-value", 60, id -> badPage(id, "empty-value", new byte[0], null, Expected.dead("empty_value")));
        add("oversize", 8, id -> {
            byte[] value = Arrays.copyOf(samples.png(random), MAX_MESSAGE_BYTES + 1 + random.nextInt(4096));
            return badPage(id, "oversize", value, null, Expected.dead("oversize"));
        });
        add("missing-key", 80, id -> page(id, "missing-key", null, samples.png(random), Expected.dead("missing_key"),
                null, null));
        add("tombstone-missing-key", 30, id -> page(id, "tombstone-missing-key", null, null,
                Expected.dead("missing_key"), null, null));
        add("empty-key", 50, id -> page(id, "empty-key", new byte[0], samples.png(random), Expected.dead("bad_key"),
                null, null));
        add("invalid-utf8-key", 120, id -> page(id, "invalid-utf8-key", samples.invalidUtf8(random),
                samples.png(random), Expected.dead("bad_key"), null, null));
        add("long-key", 50, id -> page(id, "long-key", utf8("k".repeat(1025 + random.nextInt(500))),
                samples.png(random), Expected.dead("bad_key"), null, null));

        // headers
        add("unknown-content-type", 120, id -> badPage(id, "unknown-content-type", samples.png(random),
                pick("text/html", "image/webp", "video/mp4", "", "application/zip", "image/png/extra"),
                Expected.dead("unsupported_content_type")));
        add("content-type-mismatch", 120, id -> badPage(id, "content-type-mismatch", samples.png(random),
                pick("image/jpeg", "application/pdf", "image/gif", "image/tiff"),
                Expected.dead("content_type_mismatch")));
        add("invalid-utf8-header", 120, id -> {
            String[][] headerReasons = {{"tenant", "bad_tenant"}, {"page", "bad_page_header"},
                    {"metadata", "bad_metadata"}, {"content-type", "unsupported_content_type"}};
            String[] choice = headerReasons[random.nextInt(headerReasons.length)];
            Message message = badPage(id, "invalid-utf8-header-" + choice[0], samples.png(random), null,
                    Expected.dead(choice[1]));
            message.headers().add(choice[0], samples.invalidUtf8(random));
            return message;
        });
        add("bad-page-header", 150, id -> badPage(id, "bad-page-header", samples.png(random), null,
                Expected.dead("bad_page_header"), "page", pick("abc", "0", "-3", "1000001", "", "1.5",
                        "99999999999", "0x10")));
        add("page-header-on-pdf", 40, id -> badPage(id, "page-header-on-pdf", samples.pdf(1), null,
                Expected.dead("bad_page_header"), "page", "2"));
        add("bad-tenant", 80, id -> badPage(id, "bad-tenant", samples.png(random), null, Expected.dead("bad_tenant"),
                "tenant", pick("", "   ", "t".repeat(257))));
        add("bad-metadata", 120, id -> badPage(id, "bad-metadata", samples.png(random), null,
                Expected.dead("bad_metadata"), "metadata", pick("not json", "[1, 2]", "{", "\"text\"", "42",
                        "{\"a\": 1} trailing", "{\"a\": 1, \"a\": 2}", "{\"big\": \"" + "x".repeat(70_000) + "\"}")));

        // JSON envelopes
        add("json-bad", 350, id -> jsonPage(id, random.nextInt(20)));
    }

    private Message jsonPage(int id, int variant) {
        String image = b64(samples.png(random));
        String doc = "\"doc_id\": \"json-" + id + "\"";
        String good = "\"image_base64\": \"" + image + "\"";
        return switch (variant) {
            case 0 -> json(id, "json-garbage", utf8("{\"doc_id\": "), "bad_json");
            case 1 -> json(id, "json-not-object", utf8(pick("[1, 2, 3]", "\"a string\"", "42", "null", "true")),
                    "bad_json");
            case 2 -> json(id, "json-unknown-field", utf8("{" + doc + ", " + good + ", \"extra\": 1}"),
                    "unknown_field");
            case 3 -> json(id, "json-doc-id-type", utf8("{\"doc_id\": 7, " + good + "}"), "wrong_type");
            case 4 -> json(id, "json-page-type", utf8("{" + doc + ", \"page\": \"two\", " + good + "}"),
                    "bad_page_header");
            case 5 -> json(id, "json-tenant-type", utf8("{" + doc + ", \"tenant\": [\"a\"], " + good + "}"),
                    "wrong_type");
            case 6 -> json(id, "json-metadata-type", utf8("{" + doc + ", \"metadata\": [1], " + good + "}"),
                    "bad_metadata");
            case 7 -> json(id, "json-missing-image", utf8("{" + doc + "}"), "missing_field");
            case 8 -> json(id, "json-image-type", utf8("{" + doc + ", \"image_base64\": 12}"), "wrong_type");
            case 9 -> json(id, "json-bad-base64", utf8("{" + doc + ", \"image_base64\": \"@@not base64@@\"}"),
                    "bad_json");
            case 10 -> json(id, "json-empty-base64", utf8("{" + doc + ", \"image_base64\": \"\"}"), "empty_value");
            case 11 -> {
                Message message = json(id, "json-doc-id-mismatch", utf8("{" + doc + ", " + good + "}"),
                        "doc_id_mismatch");
                yield new Message(id, message.category(), Topic.PAGES, utf8("other-" + id), message.value(),
                        message.headers(), message.expected(), null, null, null);
            }
            case 12 -> {
                Message message = json(id, "json-conflicting-fields",
                        utf8("{" + doc + ", \"page\": 2, " + good + "}"), "conflicting_fields");
                message.headers().add("page", utf8("2"));
                yield message;
            }
            case 13 -> json(id, "json-deep-nesting", utf8("{" + doc + ", \"metadata\": " + "{\"a\": ".repeat(3000)
                    + "1" + "}".repeat(3000) + ", " + good + "}"), "bad_json");
            case 14 -> json(id, "json-duplicate-field", utf8("{" + doc + ", " + doc + ", " + good + "}"), "bad_json");
            case 15 -> {
                byte[] value = utf8("{" + doc + ", \"tenant\": \"XX\", " + good + "}");
                byte[] invalid = samples.invalidUtf8(random);
                int at = new String(value, StandardCharsets.UTF_8).indexOf("XX");
                byte[] broken = new byte[value.length - 2 + invalid.length];
                System.arraycopy(value, 0, broken, 0, at);
                System.arraycopy(invalid, 0, broken, at, invalid.length);
                System.arraycopy(value, at + 2, broken, at + invalid.length, value.length - at - 2);
                yield json(id, "json-invalid-utf8", broken, "bad_json");
            }
            case 16 -> json(id, "json-huge-metadata", utf8("{" + doc + ", \"metadata\": {\"pad\": \""
                    + "p".repeat(1 << 20) + "\"}, " + good + "}"), "bad_metadata");
            case 17 -> json(id, "json-oversize", utf8("{" + doc + ", \"image_base64\": \""
                    + "A".repeat(MAX_MESSAGE_BYTES) + "\"}"), "oversize");
            case 18 -> json(id, "json-image-not-an-image", utf8("{" + doc + ", \"image_base64\": \""
                    + b64(utf8("just some text")) + "\"}"), "unsupported_content_type");
            default -> json(id, "json-truncated", Arrays.copyOf(utf8("{" + doc + ", " + good + "}"),
                    10 + random.nextInt(image.length())), "bad_json");
        };
    }

    private Message json(int id, String category, byte[] value, String reason) {
        return page(id, category, null, value, Expected.dead(reason), null, null, "content-type", "application/json");
    }

    private Message goodPage(int id, String category, byte[] value, String contentType, int pages) {
        String doc = "good-" + id;
        boolean withTenant = random.nextInt(3) == 0;
        Message message = page(id, category, utf8(doc), value, Expected.stored(pages), doc, withTenant ? "acme" : null);
        if (contentType != null) {
            message.headers().add("content-type", utf8(contentType));
        }
        if (withTenant) {
            message.headers().add("tenant", utf8("acme"));
            message.headers().add("metadata", utf8("{\"source\": \"fuzz\", \"id\": " + id + "}"));
        }
        return message;
    }

    private Message badPage(int id, String category, byte[] value, String contentType, Expected expected,
            String... headers) {
        Message message = page(id, category, utf8("bad-" + id), value, expected, "bad-" + id, null, headers);
        if (contentType != null) {
            message.headers().add("content-type", utf8(contentType));
        }
        return message;
    }

    private Message page(int id, String category, byte[] key, byte[] value, Expected expected, String docId,
            String tenant, String... headers) {
        return new Message(id, category, Topic.PAGES, key, value, headers(id, headers), expected, docId, tenant,
                null);
    }

    // -------------------------------------------------------------------------------------------------- queries

    private static final String[] WORDS = {"revenue", "quarter", "network", "diagram", "invoice", "table",
            "figure", "contract", "total", "summary", "firewall", "chart", "page", "report", "budget"};

    private void registerQueries() {
        add("good-query", 260, id -> query(id, "good-query", utf8(goodQuery()), Expected.reply(), true));
        add("good-query-default-topic", 40, id -> query(id, "good-query-default-topic", utf8(goodQuery()),
                Expected.reply(), false));
        add("good-query-spring", 40, id -> {
            Message message = new Message(id, "good-query-spring", Topic.QUERIES, utf8("q-" + id), utf8(goodQuery()),
                    headers(id), Expected.reply(), null, null, CLIENT_REPLIES);
            message.headers().add("kafka_correlationId", correlation(id));
            message.headers().add("kafka_replyTopic", utf8(CLIENT_REPLIES));
            return message;
        });
        add("query-bad", 1100, id -> {
            String[] bad = badQuery();
            return query(id, "query-" + bad[0], bad[1] == null ? null : utf8(bad[1]),
                    Expected.errorReply(bad[2]), true);
        });
        add("query-invalid-utf8", 60, id -> {
            byte[] value = utf8("{\"query\": \"XX\"}");
            byte[] invalid = samples.invalidUtf8(random);
            byte[] broken = new byte[value.length - 2 + invalid.length];
            System.arraycopy(value, 0, broken, 0, 11);
            System.arraycopy(invalid, 0, broken, 11, invalid.length);
            System.arraycopy(value, 13, broken, 11 + invalid.length, value.length - 13);
            return query(id, "query-invalid-utf8", broken, Expected.errorReply("bad_json"), true);
        });
        add("query-random-bytes", 100, id -> query(id, "query-random-bytes", samples.randomNoMagic(random, 512),
                Expected.errorReply("bad_json"), true));
        add("query-bad-no-reply-path", 300, id -> {
            String[] bad = badQuery();
            return query(id, "query-no-reply-" + bad[0], bad[1] == null ? null : utf8(bad[1]),
                    Expected.queryDead(bad[2]), false);
        });
        add("query-bad-reply-partition", 80, id -> {
            Message message = query(id, "query-bad-reply-partition", utf8(goodQuery()),
                    Expected.queryDead("bad_reply_header"), true);
            message.headers().add("REPLY_PARTITION", Arrays.copyOf(utf8("12345"), 1 + random.nextInt(3)));
            return message;
        });
        add("query-bad-reply-topic", 80, id -> {
            Message message = query(id, "query-bad-reply-topic", utf8(goodQuery()),
                    Expected.queryDead("bad_reply_header"), true);
            message.headers().add("REPLY_TOPIC", utf8(pick("bad topic!", "", "a/b", "..", "x".repeat(250))));
            return message;
        });
    }

    private String goodQuery() {
        StringBuilder text = new StringBuilder();
        for (int i = 0, n = 1 + random.nextInt(6); i < n; i++) {
            text.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        String filter = random.nextInt(4) == 0 ? ", \"filter\": {\"tenant\": \"acme\"}" : "";
        return "{\"query\": \"" + text + "\", \"top_k\": " + (1 + random.nextInt(20)) + filter + "}";
    }

    /** {category, value (null: a null value), expected code}. */
    private String[] badQuery() {
        return switch (random.nextInt(23)) {
            case 0 -> new String[] {"garbage", "{\"query\": ", "bad_json"};
            case 1 -> new String[] {"not-object", pick("[\"revenue\"]", "\"revenue\"", "7", "null"), "bad_json"};
            case 2 -> new String[] {"unknown-field", "{\"query\": \"a\", \"k\": 3}", "unknown_field"};
            case 3 -> new String[] {"unknown-filter-field", "{\"query\": \"a\", \"filter\": {\"tennant\": \"x\"}}",
                    "unknown_field"};
            case 4 -> new String[] {"query-type", "{\"query\": 42}", "wrong_type"};
            case 5 -> new String[] {"top-k-type", "{\"query\": \"a\", \"top_k\": \"10\"}", "wrong_type"};
            case 6 -> new String[] {"top-k-float", "{\"query\": \"a\", \"top_k\": 2.5}", "wrong_type"};
            case 7 -> new String[] {"filter-type", "{\"query\": \"a\", \"filter\": [\"acme\"]}", "wrong_type"};
            case 8 -> new String[] {"filter-tenant-type", "{\"query\": \"a\", \"filter\": {\"tenant\": 5}}",
                    "wrong_type"};
            case 9 -> new String[] {"missing-query", pick("{}", "{\"top_k\": 3}", "{\"query\": null}"),
                    "missing_field"};
            case 10 -> new String[] {"empty-query", pick("{\"query\": \"\"}", "{\"query\": \"   \"}"), "empty_query"};
            case 11 -> new String[] {"top-k-range", "{\"query\": \"a\", \"top_k\": "
                    + pick("0", "-1", "101", "10000000000", "2147483648") + "}", "bad_top_k"};
            case 12 -> new String[] {"oversize", "{\"query\": \"" + "revenue ".repeat(MAX_QUERY_BYTES / 8) + "\"}",
                    "oversize"};
            case 13 -> new String[] {"empty-value", "", "empty_value"};
            case 14 -> new String[] {"null-value", null, "empty_value"};
            case 15 -> new String[] {"deep-nesting", "{\"query\": \"a\", \"filter\": " + "[".repeat(2000)
                    + "]".repeat(2000) + "}", "bad_json"};
            case 16 -> new String[] {"duplicate-field", "{\"query\": \"a\", \"query\": \"b\"}", "bad_json"};
            case 17 -> new String[] {"trailing-tokens", "{\"query\": \"a\"} {\"query\": \"b\"}", "bad_json"};
            case 18 -> new String[] {"truncated", "{\"query\": \"revenue by quar", "bad_json"};
            case 19 -> new String[] {"empty-filter-value", "{\"query\": \"a\", \"filter\": {\"doc_id\": \"\"}}",
                    "wrong_type"};
            case 20 -> new String[] {"huge-number", "{\"query\": \"a\", \"top_k\": 1" + "0".repeat(5000) + "}",
                    "bad_json"}; // over Jackson's 1000-digit number limit
            case 21 -> new String[] {"json-comment", "{\"query\": \"a\" /* note */}", "bad_json"};
            default -> new String[] {"too-many-tokens", "{\"query\": \"" + "revenue by quarter ".repeat(300) + "\"}",
                    "oversize"}; // 5.7 KB, under the byte limit; ~1,000 tokens, over max-query-tokens
        };
    }

    /** A query; {@code explicit}: SmallRye request-reply headers naming {@link #CLIENT_REPLIES}. */
    private Message query(int id, String category, byte[] value, Expected expected, boolean explicit) {
        Message message = new Message(id, category, Topic.QUERIES, utf8("q-" + id), value, headers(id), expected,
                null, null, explicit ? CLIENT_REPLIES : "pagestream.replies");
        if (explicit) {
            message.headers().add("REPLY_CORRELATION_ID", correlation(id));
            message.headers().add("REPLY_TOPIC", utf8(CLIENT_REPLIES));
        }
        return message;
    }

    static byte[] correlation(int id) {
        return ByteBuffer.allocate(8).putLong(0xF0220000_00000000L | id).array();
    }

    private static Headers headers(int id, String... keyValues) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(ID_HEADER, utf8(Integer.toString(id)));
        for (int i = 0; i < keyValues.length; i += 2) {
            headers.add(keyValues[i], utf8(keyValues[i + 1]));
        }
        return headers;
    }

    private String pick(String... options) {
        return options[random.nextInt(options.length)];
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    // -------------------------------------------------------------------------------------------------- samples

    /** The byte material: small real pages (made once, reused) and crafted headers. */
    private static final class Samples {
        private final List<byte[]> pngs = new ArrayList<>();
        private final List<byte[]> jpegs = new ArrayList<>();
        private final List<byte[]> others = new ArrayList<>();
        private final Map<Integer, byte[]> pdfs = new LinkedHashMap<>();
        private final Map<String, byte[]> crafted = new LinkedHashMap<>();

        Samples() {
            for (int seed = 0; seed < 16; seed++) {
                pngs.add(TestPages.png(seed));
                jpegs.add(TestPages.jpeg(seed));
            }
            for (String format : List.of("gif", "bmp", "tiff")) {
                for (int seed = 0; seed < 4; seed++) {
                    others.add(TestPages.encode(TestPages.drawing(60, 40, seed), format));
                }
            }
        }

        byte[] png(Random random) {
            return pngs.get(random.nextInt(pngs.size()));
        }

        byte[] jpeg(Random random) {
            return jpegs.get(random.nextInt(jpegs.size()));
        }

        byte[] otherFormat(Random random) {
            return others.get(random.nextInt(others.size()));
        }

        byte[] pdf(int pages) {
            return pdfs.computeIfAbsent(pages, TestPages::pdf);
        }

        /** Random bytes that start with no known signature (so nothing can sniff them as a format). */
        byte[] randomNoMagic(Random random, int maxLength) {
            byte[] bytes = new byte[1 + random.nextInt(maxLength)];
            random.nextBytes(bytes);
            bytes[0] = (byte) (bytes[0] & 0x3F); // below every signature's first byte ('B' = 0x42, '%' is 0x25)
            if (bytes[0] == '%') {
                bytes[0] = 0;
            }
            return bytes;
        }

        byte[] magicThenGarbage(Random random, ImageFormat format) {
            byte[] magic = switch (format) {
                case PNG -> new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
                case JPEG -> new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
                case TIFF -> new byte[] {'I', 'I', 42, 0};
                case BMP -> new byte[] {'B', 'M'};
                case GIF -> utf8("GIF89a");
                case PDF -> utf8("%PDF-1.7\n");
            };
            byte[] bytes = new byte[magic.length + random.nextInt(2048)];
            random.nextBytes(bytes);
            System.arraycopy(magic, 0, bytes, 0, magic.length);
            return bytes;
        }

        /** {@code original} with 1-8 random bytes changed, none in its first {@code keep} bytes (the signature). */
        byte[] mutate(Random random, byte[] original, int keep) {
            byte[] bytes = original.clone();
            for (int i = 0, n = 1 + random.nextInt(8); i < n; i++) {
                int at = keep + random.nextInt(bytes.length - keep);
                bytes[at] = random.nextInt(4) == 0 ? (byte) 0xFF : (byte) random.nextInt(256);
            }
            return bytes;
        }

        byte[] invalidUtf8(Random random) {
            byte[][] invalid = {{(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xE2, (byte) 0x82},
                    {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {'d', 'o', 'c', (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}};
            return invalid[random.nextInt(invalid.length)];
        }

        /** A valid PNG of {@code width x height} black pixels: a few KB of deflate, megabytes decoded. */
        byte[] blankPng(int width, int height) {
            return crafted.computeIfAbsent("blank-" + width + "x" + height, k -> TestPages.encode(
                    new java.awt.image.BufferedImage(width, height, java.awt.image.BufferedImage.TYPE_3BYTE_BGR),
                    "png"));
        }

        /** A tiny JPEG whose SOF declares {@code side x side}. */
        byte[] jpegDeclaring(int side) {
            return crafted.computeIfAbsent("jpeg-" + side, k -> {
                byte[] jpeg = TestPages.jpeg(99).clone();
                for (int i = 2; i < jpeg.length - 9; i++) {
                    if ((jpeg[i] & 0xFF) == 0xFF && ((jpeg[i + 1] & 0xFF) == 0xC0 || (jpeg[i + 1] & 0xFF) == 0xC2)) {
                        ByteBuffer.wrap(jpeg, i + 5, 4).putShort((short) side).putShort((short) side);
                        return jpeg;
                    }
                }
                throw new IllegalStateException("no SOF marker");
            });
        }

        /** A GIF whose first image descriptor declares {@code side x side}. */
        byte[] gifDeclaring(int side) {
            return crafted.computeIfAbsent("gif-" + side, k -> {
                byte[] gif = TestPages.encode(TestPages.drawing(8, 8, 1), "gif").clone();
                int at = 13;
                if ((gif[10] & 0x80) != 0) {
                    at += 3 << ((gif[10] & 7) + 1); // global colour table
                }
                while (gif[at] == 0x21) { // extensions: label, then sub-blocks up to a 0 length
                    at += 2;
                    while (gif[at] != 0) {
                        at += (gif[at] & 0xFF) + 1;
                    }
                    at++;
                }
                if (gif[at] != 0x2C) {
                    throw new IllegalStateException("no image descriptor");
                }
                ByteBuffer.wrap(gif, at + 5, 4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) side)
                        .putShort((short) side);
                return gif;
            });
        }

        /** A TIFF whose first IFD declares {@code side x side}. */
        byte[] tiffDeclaring(int side) {
            return crafted.computeIfAbsent("tiff-" + side, k -> {
                byte[] tiff = TestPages.encode(TestPages.drawing(8, 8, 2), "tiff").clone();
                ByteBuffer in = ByteBuffer.wrap(tiff).order(tiff[0] == 'I' ? ByteOrder.LITTLE_ENDIAN
                        : ByteOrder.BIG_ENDIAN);
                int ifd = in.getInt(4);
                for (int e = 0, n = in.getShort(ifd) & 0xFFFF; e < n; e++) {
                    int entry = ifd + 2 + 12 * e;
                    int tag = in.getShort(entry) & 0xFFFF;
                    if (tag == 256 || tag == 257) { // ImageWidth, ImageLength
                        if (in.getShort(entry + 2) == 3) {
                            in.putShort(entry + 8, (short) side);
                        } else {
                            in.putInt(entry + 8, side);
                        }
                    }
                }
                return tiff;
            });
        }

        /** A BMP whose header declares {@code side x side}. */
        byte[] bmpDeclaring(int side) {
            return crafted.computeIfAbsent("bmp-" + side, k -> {
                byte[] bmp = TestPages.encode(TestPages.drawing(8, 8, 3), "bmp").clone();
                ByteBuffer.wrap(bmp).order(ByteOrder.LITTLE_ENDIAN).putInt(18, side).putInt(22, side);
                return bmp;
            });
        }

        /** A one-page PDF drawing an RGB image XObject of {@code side x side} over 100 bytes of data. */
        byte[] pdfWithImage(int side) {
            return crafted.computeIfAbsent("pdf-image-" + side, k -> pdf(document -> {
                PDPage page = new PDPage(new PDRectangle(72, 72));
                document.addPage(page);
                COSStream stream = document.getDocument().createCOSStream();
                try (OutputStream raw = stream.createRawOutputStream()) {
                    raw.write(deflate(new byte[100], 1));
                }
                stream.setItem(COSName.FILTER, COSName.FLATE_DECODE);
                stream.setItem(COSName.SUBTYPE, COSName.IMAGE);
                stream.setInt(COSName.WIDTH, side);
                stream.setInt(COSName.HEIGHT, side);
                stream.setInt(COSName.BITS_PER_COMPONENT, 8);
                stream.setItem(COSName.COLORSPACE, COSName.DEVICERGB);
                try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                    content.drawImage(new PDImageXObject(new PDStream(stream), null), 0, 0, 72, 72);
                }
            }));
        }

        /** A one-page PDF whose content stream is 150 KB of deflate inflating to 150 MB of blanks. */
        byte[] pdfDeflateBomb() {
            return crafted.computeIfAbsent("pdf-bomb", k -> pdf(document -> {
                PDPage page = new PDPage(new PDRectangle(72, 72));
                document.addPage(page);
                COSStream content = document.getDocument().createCOSStream();
                byte[] blanks = new byte[1 << 20];
                Arrays.fill(blanks, (byte) ' ');
                try (OutputStream raw = content.createRawOutputStream()) {
                    raw.write(deflate(blanks, 150));
                }
                content.setItem(COSName.FILTER, COSName.FLATE_DECODE);
                page.getCOSObject().setItem(COSName.CONTENTS, content);
            }));
        }

        /** A 1000 x 1000 inch page: rendered within the render pixel limit, not at 150 dpi. */
        byte[] posterPdf() {
            return crafted.computeIfAbsent("poster", k -> pdf(document -> {
                PDPage page = new PDPage(new PDRectangle(72_000, 72_000));
                document.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                    content.addRect(1000, 1000, 30_000, 20_000);
                    content.fill();
                }
            }));
        }

        byte[] encryptedPdf() {
            return crafted.computeIfAbsent("encrypted", k -> pdf(document -> {
                document.addPage(new PDPage(new PDRectangle(72, 72)));
                StandardProtectionPolicy policy = new StandardProtectionPolicy("owner", "user",
                        new AccessPermission());
                policy.setEncryptionKeyLength(128);
                document.protect(policy);
            }));
        }

        private interface DocumentBuilder {
            void build(PDDocument document) throws IOException;
        }

        private static byte[] pdf(DocumentBuilder builder) {
            try (PDDocument document = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
                builder.build(document);
                document.save(out);
                return out.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static byte[] deflate(byte[] block, int times) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (DeflaterOutputStream deflater = new DeflaterOutputStream(out, new Deflater(9))) {
                for (int i = 0; i < times; i++) {
                    deflater.write(block);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }
    }
}
