package pagestream.deploy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates Kubernetes objects against their schemas: typed models for the core API (fabric8), the Prometheus
 * Operator (fabric8 openshift-model-monitoring) and Strimzi ({@code io.strimzi:api}, the operator's own model);
 * KEDA against the field list in {@code deploy/keda-v1alpha1.fields.json}. A typed model reports unknown fields as
 * "additional properties": any such field is a misspelt or misplaced key and fails the check.
 */
final class Schemas {

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    /** Writes every property, defaults and nulls too: models omit defaults, which would hide a value they dropped. */
    private static final ObjectMapper WRITE_ALL = new ObjectMapper().setAnnotationIntrospector(new JacksonAnnotationIntrospector() {
        @Override
        public JsonInclude.Value findPropertyInclusion(Annotated annotated) {
            return JsonInclude.Value.empty();
        }
    });

    /** apiVersion/kind → typed model. */
    static final Map<String, Class<? extends HasMetadata>> TYPED = Map.of(
            "v1/ConfigMap", ConfigMap.class,
            "v1/Secret", Secret.class,
            "v1/Service", Service.class,
            "v1/PersistentVolumeClaim", PersistentVolumeClaim.class,
            "apps/v1/Deployment", Deployment.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class,
            "monitoring.coreos.com/v1/PrometheusRule", PrometheusRule.class,
            "kafka.strimzi.io/v1/KafkaTopic", KafkaTopic.class,
            "kafka.strimzi.io/v1/KafkaUser", KafkaUser.class);

    static final JsonNode KEDA = resource("/deploy/keda-v1alpha1.fields.json");

    private Schemas() {}

    static JsonNode resource(String name) {
        try (InputStream in = Schemas.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String key(JsonNode doc) {
        return doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
    }

    /** Problems with one object; empty when it validates. */
    static List<String> validate(JsonNode doc) {
        String key = key(doc);
        Class<? extends HasMetadata> typed = TYPED.get(key);
        if (typed != null) {
            return typed(doc, typed, key);
        }
        if (key.startsWith("keda.sh/v1alpha1/") && KEDA.has(doc.path("kind").asText())) {
            List<String> problems = new ArrayList<>();
            fields(doc, KEDA.get(doc.path("kind").asText()), key, problems);
            return problems;
        }
        return List.of(key + ": no schema known for this apiVersion/kind");
    }

    static <T> List<String> typed(JsonNode node, Class<T> type, String path) {
        List<String> problems = new ArrayList<>();
        try {
            T value = JSON.treeToValue(node, type);
            unknownFields(value, path, problems, Collections.newSetFromMap(new IdentityHashMap<>()));
            lostValues(node, WRITE_ALL.valueToTree(value), path, problems);
        } catch (JsonMappingException e) {
            StringBuilder at = new StringBuilder(path);
            for (JsonMappingException.Reference ref : e.getPath()) {
                at.append(ref.getFieldName() != null ? "." + ref.getFieldName() : "[" + ref.getIndex() + "]");
            }
            problems.add(at + ": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException | IllegalArgumentException e) {
            problems.add(path + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        return problems;
    }

    private static void unknownFields(Object value, String path, List<String> problems, Set<Object> seen) {
        if (value == null || value instanceof CharSequence || value instanceof Number || value instanceof Boolean
                || value instanceof Enum<?> || value.getClass().isPrimitive() || !seen.add(value)) {
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, problems, seen));
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                unknownFields(item, path + "[" + i++ + "]", problems, seen);
            }
            return;
        }
        String pkg = value.getClass().getPackageName();
        if (!pkg.startsWith("io.fabric8.") && !pkg.startsWith("io.strimzi.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue; // a computed getter that needs state the manifest does not give: not a field
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add(path + ": unknown field(s) " + extra.keySet());
                }
            } else {
                String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
                unknownFields(child, path + "." + field, problems, seen);
            }
        }
    }

    /**
     * Every value of the manifest must survive the trip through the model: a model that maps an unknown enum
     * constant to null (Strimzi does) would otherwise accept {@code operations: [Reed]}.
     */
    private static void lostValues(JsonNode in, JsonNode out, String path, List<String> problems) {
        if (in.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                lostValues(field.getValue(), out.path(field.getKey()), path + "." + field.getKey(), problems);
            }
        } else if (in.isArray()) {
            for (int i = 0; i < in.size(); i++) {
                lostValues(in.get(i), out.path(i), path + "[" + i + "]", problems);
            }
        } else if (!in.isNull() && (!out.isValueNode() || !in.asText().equals(out.asText()))) {
            problems.add(path + ": value " + in + " is not understood by the model (read back as " + out + ")");
        }
    }

    /** Checks {@code node} against a field schema (type, enum, required, properties, additionalProperties, items, fabric8). */
    static void fields(JsonNode node, JsonNode schema, String path, List<String> problems) {
        if (schema.has("fabric8")) {
            try {
                problems.addAll(typed(node, Class.forName(schema.get("fabric8").asText()), path));
            } catch (ClassNotFoundException e) {
                problems.add(path + ": schema names a missing model class " + e.getMessage());
            }
            return;
        }
        String type = schema.path("type").asText("");
        boolean typeOk = switch (type) {
            case "object" -> node.isObject();
            case "array" -> node.isArray();
            case "string" -> node.isTextual();
            case "integer" -> node.isIntegralNumber();
            case "boolean" -> node.isBoolean();
            default -> true;
        };
        if (!typeOk) {
            problems.add(path + ": expected " + type + ", found " + node.getNodeType().toString().toLowerCase());
            return;
        }
        if (schema.has("enum")) {
            boolean found = false;
            for (JsonNode allowed : schema.get("enum")) {
                found |= allowed.equals(node);
            }
            if (!found) {
                problems.add(path + ": " + node + " is not one of " + schema.get("enum"));
            }
        }
        for (JsonNode required : schema.path("required")) {
            if (!node.has(required.asText())) {
                problems.add(path + ": missing required field " + required.asText());
            }
        }
        if (node.isObject() && (schema.has("properties") || schema.has("additionalProperties"))) {
            JsonNode properties = schema.path("properties");
            JsonNode additional = schema.path("additionalProperties");
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String childPath = path + "." + field.getKey();
                if (properties.has(field.getKey())) {
                    fields(field.getValue(), properties.get(field.getKey()), childPath, problems);
                } else if (additional.isObject()) {
                    fields(field.getValue(), additional, childPath, problems);
                } else if (additional.isBoolean() && !additional.asBoolean()) {
                    problems.add(path + ": unknown field " + field.getKey());
                }
            }
        }
        if (node.isArray() && schema.has("items")) {
            for (int i = 0; i < node.size(); i++) {
                fields(node.get(i), schema.get("items"), path + "[" + i + "]", problems);
            }
        }
    }
}
