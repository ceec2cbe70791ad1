package pagestream.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Checks and parses {@link PagePoint#metadataJson()}: it must be a JSON object (or absent). */
public final class MetadataJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private MetadataJson() {
    }

    /** The parsed object, or {@code null} for no metadata. */
    public static ObjectNode parse(PagePoint point) {
        if (point.metadataJson() == null) {
            return null;
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(point.metadataJson());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("metadata of doc " + point.docId() + " page " + point.page()
                    + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!(node instanceof ObjectNode object)) {
            throw new IllegalArgumentException("metadata of doc " + point.docId() + " page " + point.page()
                    + " must be a JSON object, got " + (node == null ? "nothing" : node.getNodeType()));
        }
        return object;
    }

    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise metadata", e);
        }
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
