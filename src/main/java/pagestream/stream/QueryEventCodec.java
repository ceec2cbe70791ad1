package pagestream.stream;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Parses query events strictly: {@code {"query": "...", "top_k": 10, "filter": {"tenant": "...", "doc_id": "..."}}}.
 * Anything else (unknown or duplicate fields, wrong JSON types, an empty query, {@code top_k} outside
 * {@code 1..maxTopK}, a value over {@code maxQueryBytes}) is refused with a {@link Rejection} naming the field,
 * because a query that silently ignores a misspelt filter returns other tenants' pages.
 */
public final class QueryEventCodec {

    public static final int DEFAULT_TOP_K = 10;

    static final ObjectMapper STRICT_JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final Set<String> QUERY_FIELDS = Set.of("query", "top_k", "filter");
    private static final Set<String> FILTER_FIELDS = Set.of("tenant", "doc_id");

    private final int maxQueryBytes;
    private final int maxTopK;

    public QueryEventCodec(int maxQueryBytes, int maxTopK) {
        this.maxQueryBytes = maxQueryBytes;
        this.maxTopK = maxTopK;
    }

    /** The outcome of parsing one event: exactly one of {@code request} and {@code rejection} is present. */
    public record Parsed(Optional<QueryRequest> request, Optional<Rejection> rejection) {
        static Parsed ok(QueryRequest request) {
            return new Parsed(Optional.of(request), Optional.empty());
        }

        static Parsed refused(String reason, String message) {
            return new Parsed(Optional.empty(), Optional.of(new Rejection(reason, message)));
        }
    }

    public Parsed parse(byte[] value) {
        if (value == null || value.length == 0) {
            return Parsed.refused("empty_value", "query event has no value; expected a JSON object");
        }
        if (value.length > maxQueryBytes) {
            return Parsed.refused("oversize", "query event is " + value.length + " bytes, over the limit of "
                    + maxQueryBytes + " (pagestream.limits.max-query-bytes)");
        }
        if (!Utf8.isValid(value)) {
            return Parsed.refused("bad_json", "query event is not valid UTF-8 JSON");
        }
        JsonNode root;
        try {
            root = STRICT_JSON.readTree(value);
        } catch (JsonProcessingException e) {
            return Parsed.refused("bad_json", "query event is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            return Parsed.refused("bad_json", "query event is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            return Parsed.refused("bad_json", "query event must be a JSON object, got "
                    + (root == null ? "nothing" : root.getNodeType().name().toLowerCase()));
        }
        Optional<Rejection> unknown = unknownField(root, QUERY_FIELDS, "");
        if (unknown.isPresent()) {
            return new Parsed(Optional.empty(), unknown);
        }

        JsonNode query = root.get("query");
        if (query == null || query.isNull()) {
            return Parsed.refused("missing_field", "field \"query\" is required");
        }
        if (!query.isTextual()) {
            return Parsed.refused("wrong_type", "field \"query\" must be a string, got " + typeOf(query));
        }
        if (query.textValue().isBlank()) {
            return Parsed.refused("empty_query", "field \"query\" is empty");
        }

        int topK = Math.min(DEFAULT_TOP_K, maxTopK);
        JsonNode topKNode = root.get("top_k");
        if (topKNode != null && !topKNode.isNull()) {
            if (!topKNode.isIntegralNumber()) {
                return Parsed.refused("wrong_type", "field \"top_k\" must be an integer, got " + typeOf(topKNode));
            }
            if (!topKNode.canConvertToInt() || topKNode.intValue() < 1 || topKNode.intValue() > maxTopK) {
                return Parsed.refused("bad_top_k", "field \"top_k\" is " + topKNode.asText()
                        + ", must be between 1 and " + maxTopK + " (pagestream.limits.max-top-k)");
            }
            topK = topKNode.intValue();
        }

        Optional<String> tenant = Optional.empty();
        Optional<String> docId = Optional.empty();
        JsonNode filter = root.get("filter");
        if (filter != null && !filter.isNull()) {
            if (!filter.isObject()) {
                return Parsed.refused("wrong_type", "field \"filter\" must be an object, got " + typeOf(filter));
            }
            unknown = unknownField(filter, FILTER_FIELDS, "filter.");
            if (unknown.isPresent()) {
                return new Parsed(Optional.empty(), unknown);
            }
            for (String field : FILTER_FIELDS) {
                JsonNode node = filter.get(field);
                if (node == null || node.isNull()) {
                    continue;
                }
                if (!node.isTextual() || node.textValue().isEmpty()) {
                    return Parsed.refused("wrong_type",
                            "field \"filter." + field + "\" must be a non-empty string, got " + typeOf(node));
                }
                if (field.equals("tenant")) {
                    tenant = Optional.of(node.textValue());
                } else {
                    docId = Optional.of(node.textValue());
                }
            }
        }
        return Parsed.ok(new QueryRequest(query.textValue(), topK, tenant, docId));
    }

    private static Optional<Rejection> unknownField(JsonNode object, Set<String> allowed, String prefix) {
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            String name = it.next().getKey();
            if (!allowed.contains(name)) {
                return Optional.of(new Rejection("unknown_field", "unknown field \"" + prefix + name
                        + "\"; allowed: " + allowed.stream().sorted().map(f -> prefix + f).toList()));
            }
        }
        return Optional.empty();
    }

    static String typeOf(JsonNode node) {
        return node.isTextual() && node.textValue().isEmpty() ? "an empty string"
                : node.getNodeType().name().toLowerCase() + " " + abbreviate(node.toString());
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
