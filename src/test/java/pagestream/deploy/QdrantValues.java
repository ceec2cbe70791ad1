package pagestream.deploy;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Checks Helm values against the chart's value keys written down in {@code deploy/qdrant-chart-values.fields.json}. */
final class QdrantValues {

    private QdrantValues() {}

    static List<String> check(JsonNode values, JsonNode fields) {
        List<String> problems = new ArrayList<>();
        walk(values, "", fields, problems);
        return problems;
    }

    private static void walk(JsonNode node, String path, JsonNode fields, List<String> problems) {
        if (!path.isEmpty() && fields.has(path)) {
            String type = fields.get(path).asText();
            if (type.startsWith("k8s:")) {
                String model = type.substring(4);
                boolean list = model.endsWith("[]");
                try {
                    Class<?> cls = Class.forName(list ? model.substring(0, model.length() - 2) : model);
                    if (list) {
                        for (int i = 0; i < node.size(); i++) {
                            problems.addAll(Schemas.typed(node.get(i), cls, path + "[" + i + "]"));
                        }
                    } else {
                        problems.addAll(Schemas.typed(node, cls, path));
                    }
                } catch (ClassNotFoundException e) {
                    problems.add(path + ": missing model class " + model);
                }
            } else if (!type.equals("*") && !matches(node, type)) {
                problems.add(path + ": expected " + type + ", found " + node);
            }
            return;
        }
        if (!node.isObject()) {
            problems.add(path + ": not a value key of the Qdrant chart (as written down in the fields file)");
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            walk(field.getValue(), path.isEmpty() ? field.getKey() : path + "." + field.getKey(), fields, problems);
        }
    }

    private static boolean matches(JsonNode node, String type) {
        for (String alternative : type.split("\\|")) {
            boolean ok = switch (alternative) {
                case "integer" -> node.isIntegralNumber();
                case "string" -> node.isTextual();
                case "boolean" -> node.isBoolean();
                case "string[]" -> node.isArray() && iterableAll(node);
                default -> false;
            };
            if (ok) {
                return true;
            }
        }
        return false;
    }

    private static boolean iterableAll(JsonNode array) {
        for (JsonNode item : array) {
            if (!item.isTextual()) {
                return false;
            }
        }
        return true;
    }
}
