package pagestream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Where kubectl is installed, its own Kustomize renders each overlay to the objects the other tests check (our
 * renderer stands in for it elsewhere): same objects, same images, same container env and resources.
 */
class KubectlRenderTest {

    private static boolean kubectlPresent() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, "kubectl"))) {
                return true;
            }
        }
        return false;
    }

    @ParameterizedTest
    @ValueSource(strings = {"k8s/overlays/cpu", "k8s/overlays/gpu", "k8s/kafka"})
    void kubectlKustomizeRendersWhatTheTestsCheck(String dir) throws Exception {
        assumeTrue(kubectlPresent(), "kubectl not on PATH");
        Path out = Files.createTempFile("kustomize", ".yaml");
        try {
            Process process = new ProcessBuilder("kubectl", "kustomize", Repo.path(dir).toString())
                    .redirectOutput(out.toFile()).redirectErrorStream(false).start();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.exitValue()).as(errors).isZero();
            List<JsonNode> rendered = Repo.documents(out);
            List<ObjectNode> ours = Kustomization.render(Repo.path(dir));
            assertThat(ids(rendered)).containsExactlyInAnyOrderElementsOf(ids(ours));
            for (JsonNode object : rendered) {
                assertThat(Schemas.validate(object)).as(Schemas.key(object)).isEmpty();
                if (object.path("kind").asText().equals("Deployment")) {
                    JsonNode mine = Kustomization.find(ours, "Deployment", object.path("metadata").path("name").asText());
                    for (String list : List.of("containers", "initContainers")) {
                        for (int i = 0; i < object.path("spec").path("template").path("spec").path(list).size(); i++) {
                            JsonNode theirs = object.path("spec").path("template").path("spec").path(list).get(i);
                            JsonNode match = null;
                            for (JsonNode c : mine.path("spec").path("template").path("spec").path(list)) {
                                if (c.path("name").equals(theirs.path("name"))) {
                                    match = c;
                                }
                            }
                            assertThat(match).isNotNull();
                            assertThat(theirs.path("image")).isEqualTo(match.path("image"));
                            assertThat(theirs.path("resources")).isEqualTo(match.path("resources"));
                            assertThat(Manifests.env(theirs)).isEqualTo(Manifests.env(match));
                        }
                    }
                }
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static List<String> ids(List<? extends JsonNode> objects) {
        List<String> ids = new ArrayList<>();
        objects.forEach(o -> ids.add(o.path("kind").asText() + "/" + o.path("metadata").path("name").asText()));
        return ids;
    }
}
