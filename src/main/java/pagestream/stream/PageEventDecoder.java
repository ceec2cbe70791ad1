package pagestream.stream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import pagestream.PageStreamConfig;
import pagestream.model.processor.ImageDecodeException;
import pagestream.model.processor.ImageDecoder;
import pagestream.model.processor.ImageFormat;
import pagestream.model.processor.PdfRenderer;
import pagestream.model.processor.RgbImage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns one page event into the pages it carries, or a {@link Rejection} saying why not. Runs in the stream thread
 * before a page is buffered, so everything that can be wrong with an event is found here and sent to the DLQ:
 * size, key, content type (declared and sniffed), headers, JSON envelope, image decoding (with the pixel limit
 * checked from the header before decoding) and PDF rendering (page and pixel limits).
 *
 * <p>Event shapes: the value is an image (PNG, JPEG, TIFF, BMP, GIF) or a PDF, with optional headers
 * {@code content-type} (else sniffed), {@code page} (1-based, single images only, default 1), {@code tenant} and
 * {@code metadata} (a JSON object); or {@code content-type: application/json} with
 * {@code {"doc_id", "page", "tenant", "metadata", "image_base64"}}. Tombstones are handled by the caller.
 */
public final class PageEventDecoder {

    public static final String CONTENT_TYPE_HEADER = "content-type";
    public static final String PAGE_HEADER = "page";
    public static final String TENANT_HEADER = "tenant";
    public static final String METADATA_HEADER = "metadata";

    static final int MAX_DOC_ID_BYTES = 1024;
    static final int MAX_TENANT_CHARS = 256;
    static final int MAX_METADATA_BYTES = 65536;
    static final int MAX_PAGE_NUMBER = 1_000_000;
    /** PDF render limits of the constructor without them: the defaults of {@code pagestream.limits}. */
    static final long DEFAULT_PDF_RENDER_PIXELS = 16_777_216;
    static final Duration DEFAULT_PDF_RENDER_TIME = Duration.ofSeconds(60);

    /**
     * The strict mapper without Jackson's 20M-character string limit: {@code image_base64} may be as long as the
     * message limit allows (a 16 MB image is 21M characters of base64), and the value's size is checked first.
     */
    private static final ObjectMapper ENVELOPE_JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final Set<String> JSON_FIELDS = Set.of("doc_id", "page", "tenant", "metadata", "image_base64");
    private static final Map<String, ImageFormat> CONTENT_TYPES = Map.ofEntries(
            Map.entry("image/png", ImageFormat.PNG),
            Map.entry("image/jpeg", ImageFormat.JPEG),
            Map.entry("image/jpg", ImageFormat.JPEG),
            Map.entry("image/tiff", ImageFormat.TIFF),
            Map.entry("image/bmp", ImageFormat.BMP),
            Map.entry("image/x-ms-bmp", ImageFormat.BMP),
            Map.entry("image/gif", ImageFormat.GIF),
            Map.entry("application/pdf", ImageFormat.PDF));
    private static final String JSON_TYPE = "application/json";
    private static final String OCTET_STREAM = "application/octet-stream";

    private final int maxMessageBytes;
    private final int imageSize;
    private final ImageDecoder imageDecoder;
    private final PdfRenderer pdfRenderer;

    /** The outcome for one event: its pages (one per image, one per PDF page) or a rejection. */
    public record Result(List<DecodedPage> pages, Optional<Rejection> rejection) {
        static Result of(List<DecodedPage> pages) {
            return new Result(List.copyOf(pages), Optional.empty());
        }
    }

    /** A refusal found while reading the event; turned into {@link Result#rejection()}. */
    private static final class Refused extends Exception {
        final Rejection rejection;

        Refused(String reason, String message) {
            super(message, null, false, false);
            this.rejection = new Rejection(reason, message);
        }
    }

    /**
     * @param imageSize the model's square input size: pages are resized to it (the model's own bicubic resize of
     *                  an image already at that size is the identity, so embeddings are unchanged)
     */
    public PageEventDecoder(int maxMessageBytes, long maxImagePixels, int maxPdfPages, int imageSize) {
        this(maxMessageBytes, maxImagePixels, new PdfRenderer(PdfRenderer.DEFAULT_DPI, maxPdfPages,
                        Math.min(DEFAULT_PDF_RENDER_PIXELS, maxImagePixels), maxImagePixels, DEFAULT_PDF_RENDER_TIME),
                imageSize);
    }

    private PageEventDecoder(int maxMessageBytes, long maxImagePixels, PdfRenderer pdfRenderer, int imageSize) {
        this.maxMessageBytes = maxMessageBytes;
        this.imageSize = imageSize;
        this.imageDecoder = new ImageDecoder(maxImagePixels);
        this.pdfRenderer = pdfRenderer;
    }

    /** Every limit from {@code pagestream.limits}; embedded PDF images share the image pixel limit. */
    public static PageEventDecoder of(PageStreamConfig.Limits limits, int imageSize) {
        return new PageEventDecoder(limits.maxMessageBytes(), limits.maxImagePixels(),
                new PdfRenderer(PdfRenderer.DEFAULT_DPI, limits.maxPdfPages(), limits.maxPdfRenderPixels(),
                        limits.maxImagePixels(), limits.maxPdfRenderTime()), imageSize);
    }

    /** Never throws for bad input: every problem is a {@link Rejection}. {@code value} must not be null. */
    public Result decode(byte[] key, byte[] value, Headers headers) {
        try {
            return Result.of(decodeOrRefuse(key, value, headers));
        } catch (Refused refused) {
            return new Result(List.of(), Optional.of(refused.rejection));
        }
    }

    private List<DecodedPage> decodeOrRefuse(byte[] key, byte[] value, Headers headers) throws Refused {
        if (value.length == 0) {
            throw new Refused("empty_value", "page event has an empty value (a deletion is a null value)");
        }
        if (value.length > maxMessageBytes) {
            throw new Refused("oversize", "page event is " + value.length + " bytes, over the limit of "
                    + maxMessageBytes + " (pagestream.limits.max-message-bytes)");
        }
        Optional<String> docId = key == null ? Optional.empty() : Optional.of(docIdOf(key));
        Optional<String> declared = header(headers, CONTENT_TYPE_HEADER, "unsupported_content_type")
                .map(PageEventDecoder::mediaType);
        Optional<String> pageText = header(headers, PAGE_HEADER, "bad_page_header");
        Optional<String> tenant = header(headers, TENANT_HEADER, "bad_tenant");
        Optional<String> metadata = header(headers, METADATA_HEADER, "bad_metadata");
        byte[] content = value;

        if (declared.isPresent() && declared.get().equals(JSON_TYPE)) {
            JsonNode envelope = parseEnvelope(value);
            docId = jsonDocId(envelope, docId);
            pageText = fromJson(envelope, "page", pageText, PAGE_HEADER);
            tenant = fromJson(envelope, "tenant", tenant, TENANT_HEADER);
            metadata = fromJson(envelope, "metadata", metadata, METADATA_HEADER);
            content = imageBytes(envelope);
            declared = Optional.empty(); // the embedded image's type is sniffed
        }
        String doc = docId.orElseThrow(() -> new Refused("missing_key",
                "page event has no key; the key is the document id"));
        ImageFormat format = format(declared, content);
        int page = pageNumber(pageText, format);
        String tenantName = tenant(tenant);
        String metadataJson = metadata(metadata);
        String sha256 = sha256(content);

        List<RgbImage> images = render(format, content);
        List<DecodedPage> pages = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            pages.add(new DecodedPage(doc, format == ImageFormat.PDF ? i + 1 : page, tenantName, metadataJson, sha256,
                    images.get(i)));
        }
        return pages;
    }

    /** The event's pages at the model's input size; a PDF's pages are shrunk one by one as they are rendered. */
    private List<RgbImage> render(ImageFormat format, byte[] content) throws Refused {
        try {
            if (format != ImageFormat.PDF) {
                return List.of(imageDecoder.decodeResized(content, imageSize, imageSize));
            }
            List<RgbImage> pages = new ArrayList<>();
            pdfRenderer.render(content, imageSize, imageSize, (index, count, page) -> pages.add(page));
            return pages;
        } catch (ImageDecodeException e) {
            String reason = switch (e.reason()) {
                case EMPTY -> "empty_value";
                case UNSUPPORTED_FORMAT -> "unsupported_content_type";
                default -> e.code();
            };
            throw new Refused(reason, e.getMessage());
        }
    }

    private static ImageFormat format(Optional<String> declared, byte[] content) throws Refused {
        Optional<ImageFormat> sniffed = ImageFormat.sniff(content);
        if (declared.isPresent() && !declared.get().equals(OCTET_STREAM)) {
            ImageFormat expected = CONTENT_TYPES.get(declared.get());
            if (expected == null) {
                throw new Refused("unsupported_content_type", "content-type \"" + declared.get()
                        + "\" is not supported; use one of " + new java.util.TreeSet<>(CONTENT_TYPES.keySet())
                        + ", " + JSON_TYPE + " or " + OCTET_STREAM);
            }
            if (sniffed.isPresent() && sniffed.get() != expected) {
                throw new Refused("content_type_mismatch", "content-type \"" + declared.get()
                        + "\" but the bytes are " + sniffed.get());
            }
        }
        return sniffed.orElseThrow(() -> new Refused(declared.isPresent() ? "corrupt_image"
                : "unsupported_content_type",
                "the bytes are not a PNG, JPEG, TIFF, BMP, GIF or PDF (first bytes " + hexPrefix(content) + ")"));
    }

    private static int pageNumber(Optional<String> text, ImageFormat format) throws Refused {
        if (text.isEmpty()) {
            return 1;
        }
        if (format == ImageFormat.PDF) {
            throw new Refused("bad_page_header", "a PDF's pages are numbered by the PDF itself; "
                    + "the page header is for single images only");
        }
        try {
            int page = Integer.parseInt(text.get().strip());
            if (page >= 1 && page <= MAX_PAGE_NUMBER) {
                return page;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new Refused("bad_page_header", "page \"" + abbreviate(text.get())
                + "\" is not a page number between 1 and " + MAX_PAGE_NUMBER);
    }

    private static String tenant(Optional<String> tenant) throws Refused {
        if (tenant.isEmpty()) {
            return null;
        }
        String name = tenant.get();
        if (name.isBlank() || name.length() > MAX_TENANT_CHARS) {
            throw new Refused("bad_tenant", "tenant must be 1 to " + MAX_TENANT_CHARS + " characters, got \""
                    + abbreviate(name) + "\"");
        }
        return name;
    }

    private static String metadata(Optional<String> metadata) throws Refused {
        if (metadata.isEmpty()) {
            return null;
        }
        if (metadata.get().length() > MAX_METADATA_BYTES) {
            throw new Refused("bad_metadata", "metadata is " + metadata.get().length()
                    + " characters, over the limit of " + MAX_METADATA_BYTES);
        }
        try {
            JsonNode node = QueryEventCodec.STRICT_JSON.readTree(metadata.get());
            if (node == null || !node.isObject()) {
                throw new Refused("bad_metadata", "metadata must be a JSON object, got "
                        + (node == null ? "nothing" : node.getNodeType().name().toLowerCase(Locale.ROOT)));
            }
            return QueryEventCodec.STRICT_JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new Refused("bad_metadata", "metadata is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static JsonNode parseEnvelope(byte[] value) throws Refused {
        if (!Utf8.isValid(value)) {
            throw new Refused("bad_json", "page event is not valid UTF-8 JSON");
        }
        JsonNode envelope;
        try {
            envelope = ENVELOPE_JSON.readTree(value);
        } catch (IOException e) {
            String message = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new Refused("bad_json", "page event is not valid JSON: " + message);
        }
        if (envelope == null || !envelope.isObject()) {
            throw new Refused("bad_json", "a JSON page event must be an object with " + JSON_FIELDS);
        }
        for (Iterator<String> names = envelope.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!JSON_FIELDS.contains(name)) {
                throw new Refused("unknown_field", "unknown field \"" + name + "\" in JSON page event; allowed: "
                        + new java.util.TreeSet<>(JSON_FIELDS));
            }
        }
        return envelope;
    }

    private static Optional<String> jsonDocId(JsonNode envelope, Optional<String> keyDocId) throws Refused {
        JsonNode node = envelope.get("doc_id");
        if (node == null || node.isNull()) {
            return keyDocId;
        }
        if (!node.isTextual() || node.textValue().isEmpty()) {
            throw new Refused("wrong_type", "field \"doc_id\" must be a non-empty string, got "
                    + QueryEventCodec.typeOf(node));
        }
        if (keyDocId.isPresent() && !keyDocId.get().equals(node.textValue())) {
            // Per-document ordering (and deletes) follow the key: a different doc_id would break them.
            throw new Refused("doc_id_mismatch", "field \"doc_id\" is \"" + abbreviate(node.textValue())
                    + "\" but the record key is \"" + abbreviate(keyDocId.get()) + "\"");
        }
        return Optional.of(node.textValue());
    }

    /** The JSON field as header-style text; giving both the field and its header is ambiguous, so refused. */
    private static Optional<String> fromJson(JsonNode envelope, String field, Optional<String> header,
            String headerName) throws Refused {
        JsonNode node = envelope.get(field);
        if (node == null || node.isNull()) {
            return header;
        }
        if (header.isPresent()) {
            throw new Refused("conflicting_fields", "field \"" + field + "\" and header \"" + headerName
                    + "\" are both given; use one");
        }
        return switch (field) {
            case "page" -> {
                if (!node.isIntegralNumber()) {
                    throw new Refused("bad_page_header", "field \"page\" must be an integer, got "
                            + QueryEventCodec.typeOf(node));
                }
                yield Optional.of(node.asText());
            }
            case "metadata" -> {
                if (!node.isObject()) {
                    throw new Refused("bad_metadata", "field \"metadata\" must be a JSON object, got "
                            + QueryEventCodec.typeOf(node));
                }
                yield Optional.of(node.toString());
            }
            default -> {
                if (!node.isTextual()) {
                    throw new Refused("wrong_type", "field \"" + field + "\" must be a string, got "
                            + QueryEventCodec.typeOf(node));
                }
                yield Optional.of(node.textValue());
            }
        };
    }

    private static byte[] imageBytes(JsonNode envelope) throws Refused {
        JsonNode node = envelope.get("image_base64");
        if (node == null || node.isNull()) {
            throw new Refused("missing_field", "field \"image_base64\" is required in a JSON page event");
        }
        if (!node.isTextual()) {
            throw new Refused("wrong_type", "field \"image_base64\" must be a string, got "
                    + QueryEventCodec.typeOf(node));
        }
        try {
            byte[] bytes = Base64.getDecoder().decode(node.textValue());
            if (bytes.length == 0) {
                throw new Refused("empty_value", "field \"image_base64\" is empty");
            }
            return bytes;
        } catch (IllegalArgumentException e) {
            throw new Refused("bad_json", "field \"image_base64\" is not base64: " + e.getMessage());
        }
    }

    private static String docIdOf(byte[] key) throws Refused {
        if (key.length == 0 || key.length > MAX_DOC_ID_BYTES) {
            throw new Refused("bad_key", "the key (document id) must be 1 to " + MAX_DOC_ID_BYTES
                    + " bytes of UTF-8, got " + key.length + " bytes");
        }
        return strictUtf8(key).orElseThrow(() -> new Refused("bad_key",
                "the key (document id) is not valid UTF-8 (" + hexPrefix(key) + "...)"));
    }

    /**
     * A header's text. Invalid UTF-8 is refused with {@code reason}, not replaced by U+FFFD: two different invalid
     * tenant headers would otherwise both become the same tenant.
     */
    private static Optional<String> header(Headers headers, String name, String reason) throws Refused {
        Header header = headers.lastHeader(name);
        if (header == null || header.value() == null) {
            return Optional.empty();
        }
        Optional<String> text = strictUtf8(header.value());
        if (text.isEmpty()) {
            throw new Refused(reason, "header \"" + name + "\" is not valid UTF-8 (" + hexPrefix(header.value())
                    + "...)");
        }
        return text;
    }

    private static Optional<String> strictUtf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** {@code "Image/PNG; charset=x"} → {@code "image/png"}. */
    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static String hexPrefix(byte[] bytes) {
        return HexFormat.of().formatHex(bytes, 0, Math.min(8, bytes.length));
    }

    private static String abbreviate(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "...";
    }
}
