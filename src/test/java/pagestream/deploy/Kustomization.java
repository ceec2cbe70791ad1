package pagestream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Renders the parts of Kustomize that k8s/ uses (resources, strategic-merge patches by kind and name, images,
 * namespace, labels), so the tests see each overlay as the cluster would without a kustomize binary.
 * Lists of objects with a {@code name} merge by name, as Kubernetes' strategic merge does for containers, env,
 * volumes and ports; other lists are replaced.
 */
final class Kustomization {

    /** A patch file of an overlay and the object it targets. */
    record Patch(Path file, String kind, String name) {}

    private Kustomization() {}

    static JsonNode file(Path dir) {
        List<JsonNode> docs = Repo.documents(dir.resolve("kustomization.yaml"));
        if (docs.size() != 1) {
            throw new IllegalStateException(dir + "/kustomization.yaml must hold one document");
        }
        return docs.get(0);
    }

    static List<Patch> patches(Path dir) {
        List<Patch> patches = new ArrayList<>();
        for (JsonNode patch : file(dir).path("patches")) {
            Path path = dir.resolve(patch.path("path").asText());
            for (JsonNode doc : Repo.documents(path)) {
                patches.add(new Patch(path, doc.path("kind").asText(), doc.path("metadata").path("name").asText()));
            }
        }
        return patches;
    }

    /** The objects {@code kubectl kustomize dir} would print (up to list order). */
    static List<ObjectNode> render(Path dir) {
        JsonNode kustomization = file(dir);
        List<ObjectNode> objects = new ArrayList<>();
        for (JsonNode resource : kustomization.path("resources")) {
            Path path = dir.resolve(resource.asText()).normalize();
            if (Files.isDirectory(path)) {
                objects.addAll(render(path));
            } else {
                Repo.documents(path).forEach(doc -> objects.add((ObjectNode) doc.deepCopy()));
            }
        }
        for (Patch patch : patches(dir)) {
            ObjectNode target = find(objects, patch.kind(), patch.name());
            if (target == null) {
                throw new IllegalStateException(Repo.ROOT.relativize(patch.file()) + " patches " + patch.kind() + "/"
                        + patch.name() + ", which " + Repo.ROOT.relativize(dir) + " does not contain");
            }
            for (JsonNode doc : Repo.documents(patch.file())) {
                if (doc.path("kind").asText().equals(patch.kind())
                        && doc.path("metadata").path("name").asText().equals(patch.name())) {
                    merge(target, doc);
                }
            }
        }
        for (JsonNode image : kustomization.path("images")) {
            String replacement = image.path("newName").asText(image.path("name").asText())
                    + (image.has("newTag") ? ":" + image.path("newTag").asText() : "");
            objects.forEach(o -> replaceImages(o, image.path("name").asText(), replacement));
        }
        if (kustomization.has("namespace")) {
            objects.forEach(o -> ((ObjectNode) o.with("metadata")).put("namespace", kustomization.path("namespace").asText()));
        }
        for (JsonNode labels : kustomization.path("labels")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = labels.path("pairs").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> label = it.next();
                objects.forEach(o -> ((ObjectNode) o.with("metadata").with("labels")).set(label.getKey(), label.getValue()));
            }
        }
        return objects;
    }

    static ObjectNode find(List<ObjectNode> objects, String kind, String name) {
        return objects.stream()
                .filter(o -> o.path("kind").asText().equals(kind) && o.path("metadata").path("name").asText().equals(name))
                .findFirst().orElse(null);
    }

    private static void merge(ObjectNode target, JsonNode patch) {
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode existing = target.get(field.getKey());
            JsonNode value = field.getValue();
            if (existing instanceof ObjectNode object && value.isObject()) {
                merge(object, value);
            } else if (existing instanceof ArrayNode array && value.isArray() && namedObjects(array) && namedObjects(value)) {
                for (JsonNode item : value) {
                    ObjectNode match = null;
                    for (JsonNode candidate : array) {
                        if (candidate.path("name").equals(item.path("name"))) {
                            match = (ObjectNode) candidate;
                        }
                    }
                    if (match != null) {
                        merge(match, item);
                    } else {
                        array.add(item.deepCopy());
                    }
                }
            } else {
                target.set(field.getKey(), value.deepCopy());
            }
        }
    }

    private static boolean namedObjects(JsonNode array) {
        if (array.isEmpty()) {
            return false;
        }
        for (JsonNode item : array) {
            if (!item.isObject() || !item.has("name")) {
                return false;
            }
        }
        return true;
    }

    private static void replaceImages(JsonNode node, String name, String replacement) {
        if (node instanceof ObjectNode object) {
            JsonNode image = object.get("image");
            if (image != null && image.isTextual() && (image.asText().equals(name) || image.asText().startsWith(name + ":"))
                    && object.has("name")) {
                object.put("image", replacement);
            }
            object.forEach(child -> replaceImages(child, name, replacement));
        } else if (node.isArray()) {
            node.forEach(child -> replaceImages(child, name, replacement));
        }
    }
}
