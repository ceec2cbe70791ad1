package pagestream.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import pagestream.api.cli.CliCommand;
import pagestream.embed.BackgroundPriority;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The images' Dockerfiles carry the settings a pod relies on; nothing here builds them (no Docker engine). */
class DockerfileTest {

    @ParameterizedTest
    @CsvSource({"docker/Dockerfile.cpu, cpu", "docker/Dockerfile.cuda, cu124"})
    void finalImageRunsAsNonRootWithOfflineDjlAndThePreparedNatives(String file, String flavor) {
        List<String> users = Dockerfiles.finalStageArguments(file, "USER");
        assertThat(users).isNotEmpty();
        String uid = users.get(users.size() - 1).split(":")[0];
        assertThat(uid).as("numeric, so runAsNonRoot can check it").matches("[0-9]+");
        assertThat(Integer.parseInt(uid)).isPositive();
        assertThat(uid).isEqualTo(Repo.documents(Repo.path("k8s/base/deployment.yaml")).get(0)
                .path("spec").path("template").path("spec").path("securityContext").path("runAsUser").asText());

        Map<String, String> env = Dockerfiles.finalStageEnv(file);
        assertThat(env).containsEntry("DJL_OFFLINE", "true").containsEntry("OPT_OUT_TRACKING", "true")
                .containsEntry("PYTORCH_FLAVOR", flavor).doesNotContainKey("PYTORCH_VERSION")
                .containsEntry("OMP_WAIT_POLICY", "PASSIVE"); // OpenMP workers sleep between model calls
        assertThat(env.get("DJL_CACHE_DIR")).startsWith("/");
        assertThat(env.get("JAVA_OPTS")).contains("--add-modules=jdk.incubator.vector")
                .contains(BackgroundPriority.JVM_FLAGS) // ingestion in the background of queries
                // the whole heap from the start and a 20 ms pause goal: no back-to-back G1 cycles under ingestion
                .contains("-XX:InitialRAMPercentage=25 -XX:MaxRAMPercentage=25 -XX:MaxGCPauseMillis=20");
        assertThat(env.get("HF_HOME")).startsWith("/models/");

        // Natives: unpacked at build time into the paths the runtime environment points DJL at.
        String prepare = Dockerfiles.arguments(file, "RUN").stream().filter(r -> r.startsWith("prepare-natives.sh"))
                .findFirst().orElseThrow();
        assertThat(prepare.split("\\s+")).containsExactly("prepare-natives.sh", "target/quarkus-app",
                env.get("PYTORCH_LIBRARY_PATH"), env.get("DJL_CACHE_DIR"), flavor);
        assertThat(Dockerfiles.finalStageArguments(file, "COPY"))
                .anySatisfy(c -> assertThat(c).contains(env.get("PYTORCH_LIBRARY_PATH")))
                .anySatisfy(c -> assertThat(c).contains(env.get("DJL_CACHE_DIR")));
    }

    @ParameterizedTest
    @CsvSource({"docker/Dockerfile.cpu, ''", "docker/Dockerfile.cuda, -Pcuda"})
    void buildsTheMavenProfileWhoseNativesTheImageUnpacks(String file, String profile) {
        String build = Dockerfiles.arguments(file, "RUN").stream().filter(r -> r.contains("./mvnw")).findFirst().orElseThrow();
        assertThat(build).contains("package");
        String flavor = Dockerfiles.finalStageEnv(file).get("PYTORCH_FLAVOR");
        String pom = Repo.read("pom.xml");
        if (profile.isEmpty()) {
            assertThat(build).doesNotContain("-P");
            assertThat(pom).contains("<pytorch.native.artifact>pytorch-native-" + flavor + "</pytorch.native.artifact>");
        } else {
            assertThat(build).contains(profile);
            Matcher m = Pattern.compile("<id>" + profile.substring(2) + "</id>\\s*<properties>\\s*<pytorch.native.artifact>pytorch-native-([a-z0-9]+)<")
                    .matcher(pom);
            assertThat(m.find()).as("pom profile " + profile).isTrue();
            assertThat(m.group(1)).isEqualTo(flavor);
        }
    }

    @ParameterizedTest
    @CsvSource({"docker/Dockerfile.cpu, warmup-engine", "docker/Dockerfile.cuda, warmup-engine --tokenizers-only"})
    void warmsUpNativesWithARegisteredCommandAndChecksHealth(String file, String warmup) {
        List<String> commands = ServiceLoader.load(CliCommand.class).stream().map(p -> p.get().name()).toList();
        assertThat(commands).contains(warmup.split(" ")[0]);
        assertThat(Dockerfiles.finalStageArguments(file, "RUN"))
                .anySatisfy(r -> assertThat(r).endsWith("quarkus-run.jar " + warmup));

        String port = AppConfig.defaultOf("quarkus.http.port");
        assertThat(Dockerfiles.finalStageArguments(file, "EXPOSE")).containsExactly(port);
        assertThat(Dockerfiles.finalStageArguments(file, "HEALTHCHECK")).singleElement().asString()
                .contains("--start-period=").contains("http://127.0.0.1:" + port + AppEndpoints.health("ready"));
        assertThat(Dockerfiles.finalStageArguments(file, "ENTRYPOINT")).singleElement().asString()
                .contains("exec java $JAVA_OPTS -jar /deployments/quarkus-run.jar");
    }

    @Test
    void cudaImageIsACuda12RuntimeWithAJava21PlusRuntime() {
        String cudaBase = Dockerfiles.arguments("docker/Dockerfile.cuda", "ARG").stream()
                .filter(a -> a.startsWith("CUDA_IMAGE=")).findFirst().orElseThrow();
        assertThat(cudaBase).matches("CUDA_IMAGE=nvidia/cuda:12\\.[0-9.]+-(cudnn-)?runtime-ubuntu[0-9.]+");
        for (String file : List.of("docker/Dockerfile.cpu", "docker/Dockerfile.cuda")) {
            String java = Dockerfiles.arguments(file, "ARG").stream().filter(a -> a.startsWith("JAVA_VERSION=")).findFirst().orElseThrow();
            assertThat(Integer.parseInt(java.substring("JAVA_VERSION=".length()))).isGreaterThanOrEqualTo(21);
        }
    }

    @Test
    void dockerignoreLetsInExactlyWhatTheBuildCopies() {
        List<String> patterns = Repo.read(".dockerignore").lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(patterns.get(0)).as("exclude everything, then allow").isEqualTo("*");
        List<String> allowed = patterns.stream().filter(p -> p.startsWith("!")).map(p -> p.substring(1)).toList();
        for (String file : List.of("docker/Dockerfile.cpu", "docker/Dockerfile.cuda")) {
            for (String copy : Dockerfiles.arguments(file, "COPY")) {
                if (copy.startsWith("--from")) {
                    continue;
                }
                String[] parts = copy.split("\\s+");
                for (int i = 0; i < parts.length - 1; i++) {
                    String source = parts[i];
                    assertThat(allowed).as(file + " copies " + source)
                            .anySatisfy(a -> assertThat(source.equals(a) || (a.endsWith("/") && (source + "/").startsWith(a))
                                    || a.startsWith(source + "/")).isTrue());
                    assertThat(Repo.path(source)).exists();
                }
            }
        }
        assertThat(allowed).doesNotContain("target/", "src/test/");
    }
}
