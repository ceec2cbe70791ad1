package pagestream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every file under k8s/ parses, every object validates against its schema, every overlay patch has a target. */
class ManifestSchemaTest {

    /** Files holding whole objects (kustomization files and overlay patches are checked through rendering). */
    static List<JsonNode> baseObjects() {
        List<JsonNode> objects = new ArrayList<>();
        for (String dir : List.of("k8s/base", "k8s/kafka")) {
            for (Path file : Repo.yamlFiles(dir)) {
                if (!file.getFileName().toString().equals("kustomization.yaml")) {
                    objects.addAll(Repo.documents(file));
                }
            }
        }
        return objects;
    }

    @Test
    void everyYamlFileUnderK8sParses() {
        List<Path> files = Repo.yamlFiles("k8s");
        assertThat(files).hasSizeGreaterThanOrEqualTo(15);
        for (Path file : files) {
            assertThat(Repo.documents(file)).as(Repo.ROOT.relativize(file).toString()).isNotEmpty();
        }
    }

    @Test
    void everyBaseAndKafkaObjectValidatesAgainstItsSchema() {
        List<JsonNode> objects = baseObjects();
        assertThat(objects).extracting(Schemas::key).contains(
                "apps/v1/Deployment", "v1/Service", "v1/ConfigMap", "v1/PersistentVolumeClaim",
                "policy/v1/PodDisruptionBudget", "monitoring.coreos.com/v1/ServiceMonitor",
                "monitoring.coreos.com/v1/PrometheusRule", "keda.sh/v1alpha1/ScaledObject",
                "keda.sh/v1alpha1/TriggerAuthentication", "kafka.strimzi.io/v1/KafkaTopic", "kafka.strimzi.io/v1/KafkaUser");
        for (JsonNode object : objects) {
            assertThat(Schemas.validate(object)).as(Schemas.key(object) + " " + object.path("metadata").path("name")).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everyRenderedOverlayObjectValidates(String overlay) {
        List<ObjectNode> objects = Kustomization.render(Repo.path("k8s/overlays/" + overlay));
        assertThat(objects).hasSize(baseObjects().stream().filter(o -> !o.path("kind").asText().startsWith("Kafka")).count() > 0
                ? (int) Kustomization.render(Repo.path("k8s/base")).size() : 0);
        for (JsonNode object : objects) {
            assertThat(Schemas.validate(object)).as(overlay + ": " + Schemas.key(object)).isEmpty();
            assertThat(object.path("metadata").path("namespace").asText()).isEqualTo("pagestream");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everyOverlayPatchTargetsAnObjectOfTheBase(String overlay) {
        Path dir = Repo.path("k8s/overlays/" + overlay);
        List<ObjectNode> base = Kustomization.render(Repo.path("k8s/base"));
        List<Kustomization.Patch> patches = Kustomization.patches(dir);
        assertThat(patches).isNotEmpty();
        for (Kustomization.Patch patch : patches) {
            assertThat(Kustomization.find(base, patch.kind(), patch.name()))
                    .as(Repo.ROOT.relativize(patch.file()) + " targets " + patch.kind() + "/" + patch.name()).isNotNull();
        }
        // The image the overlay retags is the one the base's containers use.
        for (JsonNode image : Kustomization.file(dir).path("images")) {
            assertThat(Repo.read("k8s/base/deployment.yaml")).contains("image: " + image.path("name").asText());
        }
    }

    @Test
    void typedModelsServeTheApiVersionsAndKindsTheyAreUsedFor() {
        for (Map.Entry<String, Class<? extends HasMetadata>> entry : Schemas.TYPED.entrySet()) {
            assertThat(HasMetadata.getApiVersion(entry.getValue()) + "/" + HasMetadata.getKind(entry.getValue()))
                    .isEqualTo(entry.getKey());
        }
    }

    @Test
    void aMisspeltOrMisplacedFieldIsCaught() throws Exception {
        JsonNode deployment = Repo.documents(Repo.path("k8s/base/deployment.yaml")).get(0).deepCopy();
        ObjectNode container = (ObjectNode) deployment.path("spec").path("template").path("spec").path("containers").get(0);
        container.set("readinessProb", container.get("readinessProbe"));
        assertThat(Schemas.validate(deployment)).singleElement().asString()
                .contains("spec.template.spec.containers[0]").contains("readinessProb");

        JsonNode topic = Repo.documents(Repo.path("k8s/kafka/topics.yaml")).get(0).deepCopy();
        ((ObjectNode) topic.path("spec")).put("partitions", "many");
        assertThat(Schemas.validate(topic)).singleElement().asString().contains("partitions");

        JsonNode user = Repo.documents(Repo.path("k8s/kafka/user.yaml")).get(0).deepCopy();
        ((ObjectNode) user.path("spec").path("authorization").path("acls").get(0)).putArray("operations").add("Reed");
        assertThat(Schemas.validate(user)).singleElement().asString().contains("Reed");

        JsonNode scaled = Repo.documents(Repo.path("k8s/base/keda-scaledobject.yaml")).get(0).deepCopy();
        ((ObjectNode) scaled.path("spec").path("triggers").get(0)).put("lagThreshold", "64");
        ((ObjectNode) scaled.path("spec")).remove("scaleTargetRef");
        assertThat(Schemas.validate(scaled)).containsExactlyInAnyOrder(
                "keda.sh/v1alpha1/ScaledObject.spec: missing required field scaleTargetRef",
                "keda.sh/v1alpha1/ScaledObject.spec.triggers[0]: unknown field lagThreshold");

        JsonNode monitor = Repo.documents(Repo.path("k8s/base/servicemonitor.yaml")).get(0).deepCopy();
        ((ObjectNode) monitor.path("spec").path("endpoints").get(0)).put("paths", "/q/metrics");
        assertThat(Schemas.validate(monitor)).singleElement().asString().contains("paths");
    }
}
