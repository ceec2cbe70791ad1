package pagestream.model.nn;

import com.fasterxml.jackson.databind.JsonNode;
import pagestream.model.ModelConfigException;

/**
 * Reads one {@code config.json} object field by field. An absent (or JSON {@code null}) field takes the default the
 * transformers configuration class gives it; a field of the wrong type is an error naming its path.
 */
public final class JsonFields {

    private final JsonNode node;
    private final String where;

    /** {@code where} names the object in errors, e.g. {@code config.json vlm_config.text_config}. */
    public JsonFields(JsonNode node, String where) {
        if (node != null && !node.isNull() && !node.isObject()) {
            throw new ModelConfigException(where + " must be a JSON object, got " + node.getNodeType());
        }
        this.node = node;
        this.where = where;
    }

    public String where() {
        return where;
    }

    public boolean has(String field) {
        return node != null && node.hasNonNull(field);
    }

    /** The nested object (null when absent), for sub-configs. */
    public JsonNode object(String field) {
        return has(field) ? node.get(field) : null;
    }

    public int intOr(String field, int dflt) {
        if (!has(field)) {
            return dflt;
        }
        JsonNode v = node.get(field);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw bad(field, "an integer", v);
        }
        return v.intValue();
    }

    public double doubleOr(String field, double dflt) {
        if (!has(field)) {
            return dflt;
        }
        JsonNode v = node.get(field);
        if (!v.isNumber()) {
            throw bad(field, "a number", v);
        }
        return v.doubleValue();
    }

    public boolean boolOr(String field, boolean dflt) {
        if (!has(field)) {
            return dflt;
        }
        JsonNode v = node.get(field);
        if (!v.isBoolean()) {
            throw bad(field, "true or false", v);
        }
        return v.booleanValue();
    }

    public String stringOr(String field, String dflt) {
        if (!has(field)) {
            return dflt;
        }
        JsonNode v = node.get(field);
        if (!v.isTextual()) {
            throw bad(field, "a string", v);
        }
        return v.textValue();
    }

    /** Throws unless {@code value > 0}; used for every size field. */
    public int positive(String field, int value) {
        if (value <= 0) {
            throw new ModelConfigException(where + "." + field + " must be > 0, got " + value);
        }
        return value;
    }

    public ModelConfigException error(String message) {
        return new ModelConfigException(where + ": " + message);
    }

    private ModelConfigException bad(String field, String expected, JsonNode v) {
        return new ModelConfigException(where + "." + field + " must be " + expected + ", got " + v);
    }
}
