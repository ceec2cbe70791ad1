package pagestream.store.qdrant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qdrant.client.grpc.JsonWithInt.ListValue;
import io.qdrant.client.grpc.JsonWithInt.Struct;
import io.qdrant.client.grpc.JsonWithInt.Value;
import pagestream.store.MetadataJson;
import pagestream.store.PagePoint;

import java.util.LinkedHashMap;
import java.util.Map;

import static io.qdrant.client.ValueFactory.nullValue;
import static io.qdrant.client.ValueFactory.value;

/**
 * The payload of a page point in Qdrant, and JSON ↔ Qdrant {@link Value} conversion for its metadata object
 * (integers stay integers, so metadata round-trips exactly).
 */
final class Payloads {

    static final String DOC_ID = "doc_id";
    static final String PAGE = "page";
    static final String TENANT = "tenant";
    static final String METADATA = "metadata";
    static final String CONTENT_SHA256 = "content_sha256";
    static final String MODEL_ID = "model_id";
    static final String INGESTED_AT = "ingested_at";

    private Payloads() {
    }

    static Map<String, Value> of(PagePoint p) {
        Map<String, Value> payload = new LinkedHashMap<>();
        payload.put(DOC_ID, value(p.docId()));
        payload.put(PAGE, value(p.page()));
        putIfPresent(payload, TENANT, p.tenant());
        ObjectNode metadata = MetadataJson.parse(p);
        if (metadata != null) {
            payload.put(METADATA, toValue(metadata));
        }
        putIfPresent(payload, CONTENT_SHA256, p.contentSha256());
        putIfPresent(payload, MODEL_ID, p.modelId());
        if (p.ingestedAt() != null) {
            payload.put(INGESTED_AT, value(p.ingestedAt().toString())); // RFC 3339, what Qdrant's datetime index parses
        }
        return payload;
    }

    static String string(Map<String, Value> payload, String key) {
        Value v = payload.get(key);
        return v == null || v.hasNullValue() ? null : v.getStringValue();
    }

    /** The page number; a point without one was not written by PageStream. */
    static int page(Map<String, Value> payload, String pointId) {
        Value v = payload.get(PAGE);
        if (v == null || !v.hasIntegerValue() || payload.get(DOC_ID) == null) {
            throw new pagestream.store.StoreException("Qdrant point " + pointId
                    + " has no doc_id/page payload: the collection holds points not written by PageStream");
        }
        return (int) v.getIntegerValue();
    }

    static String metadataJson(Map<String, Value> payload) {
        Value v = payload.get(METADATA);
        return v == null || v.hasNullValue() ? null : MetadataJson.write(toJson(v));
    }

    static Value toValue(JsonNode node) {
        if (node.isObject()) {
            Struct.Builder struct = Struct.newBuilder();
            node.fields().forEachRemaining(e -> struct.putFields(e.getKey(), toValue(e.getValue())));
            return Value.newBuilder().setStructValue(struct).build();
        }
        if (node.isArray()) {
            ListValue.Builder list = ListValue.newBuilder();
            node.forEach(item -> list.addValues(toValue(item)));
            return Value.newBuilder().setListValue(list).build();
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return value(node.longValue());
        }
        if (node.isNumber()) {
            return value(node.doubleValue());
        }
        if (node.isBoolean()) {
            return value(node.booleanValue());
        }
        if (node.isNull()) {
            return nullValue();
        }
        return value(node.asText());
    }

    static JsonNode toJson(Value v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (v.getKindCase()) {
            case STRUCT_VALUE -> {
                ObjectNode object = f.objectNode();
                v.getStructValue().getFieldsMap().forEach((k, item) -> object.set(k, toJson(item)));
                yield object;
            }
            case LIST_VALUE -> {
                ArrayNode array = f.arrayNode();
                v.getListValue().getValuesList().forEach(item -> array.add(toJson(item)));
                yield array;
            }
            case INTEGER_VALUE -> f.numberNode(v.getIntegerValue());
            case DOUBLE_VALUE -> f.numberNode(v.getDoubleValue());
            case BOOL_VALUE -> f.booleanNode(v.getBoolValue());
            case STRING_VALUE -> f.textNode(v.getStringValue());
            case NULL_VALUE, KIND_NOT_SET -> f.nullNode();
        };
    }

    private static void putIfPresent(Map<String, Value> payload, String key, String s) {
        if (s != null) {
            payload.put(key, value(s));
        }
    }
}
