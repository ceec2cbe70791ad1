package pagestream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** Reading the rendered objects the way the app's pod sees them. */
final class Manifests {

    static final String DEPLOYMENT = "pagestream";
    static final String CONTAINER = "pagestream";
    static final String CONFIG_MAP = "pagestream-config";

    private Manifests() {}

    static List<ObjectNode> overlay(String name) {
        return Kustomization.render(Repo.path("k8s/overlays/" + name));
    }

    static List<JsonNode> kafka() {
        List<JsonNode> objects = new ArrayList<>();
        Kustomization.render(Repo.path("k8s/kafka")).forEach(objects::add);
        return objects;
    }

    static List<JsonNode> ofKind(List<? extends JsonNode> objects, String kind) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).map(o -> (JsonNode) o).toList();
    }

    static JsonNode one(List<? extends JsonNode> objects, String kind, String name) {
        return objects.stream()
                .filter(o -> o.path("kind").asText().equals(kind) && o.path("metadata").path("name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + "/" + name));
    }

    static JsonNode podSpec(List<? extends JsonNode> objects) {
        return one(objects, "Deployment", DEPLOYMENT).path("spec").path("template").path("spec");
    }

    static JsonNode container(List<? extends JsonNode> objects, String name) {
        JsonNode pod = podSpec(objects);
        for (String list : List.of("containers", "initContainers")) {
            for (JsonNode c : pod.path(list)) {
                if (c.path("name").asText().equals(name)) {
                    return c;
                }
            }
        }
        throw new AssertionError("no container " + name);
    }

    /** Env of a container: literal values as they are, references as {@code <kind>:<name>/<key>}. */
    static Map<String, String> env(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode var : container.path("env")) {
            JsonNode from = var.path("valueFrom");
            String value;
            if (from.has("secretKeyRef")) {
                value = "secret:" + from.path("secretKeyRef").path("name").asText() + "/" + from.path("secretKeyRef").path("key").asText();
            } else if (from.has("configMapKeyRef")) {
                value = "configmap:" + from.path("configMapKeyRef").path("name").asText() + "/" + from.path("configMapKeyRef").path("key").asText();
            } else {
                value = var.path("value").asText();
            }
            if (env.put(var.path("name").asText(), value) != null) {
                throw new AssertionError(container.path("name").asText() + " sets " + var.path("name").asText() + " twice");
            }
        }
        return env;
    }

    /** The config file the Deployment mounts into /deployments/config. */
    static Properties mountedConfig(List<? extends JsonNode> objects) {
        return AppConfig.properties(one(objects, "ConfigMap", CONFIG_MAP).path("data").path("application.properties").asText());
    }

    static String effective(List<? extends JsonNode> objects, String property) {
        return AppConfig.effective(property, mountedConfig(objects), env(container(objects, CONTAINER)));
    }
}
