package pagestream.it;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static pagestream.it.ItSupport.await;
import static pagestream.it.ItSupport.deleteRecursively;
import static pagestream.it.ItSupport.freePort;

/**
 * The packaged app started exactly as the issue and the README write it, {@code java -jar quarkus-run.jar ...}
 * with no JVM flag: the Vector API's incubator module is then not resolved. Every CLI command but the one that
 * measures the SIMD kernel must still run, and the service must run the whole job (embedded broker, embedded
 * store) with search on the scalar MaxSim kernel and a warning that says how to enable the fast one.
 */
class PlainJavaJarIT {

    private static final Path TINY_A = Path.of("src/test/resources/golden/tiny-a").toAbsolutePath();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);

    private final Path dir = Path.of("target", "plain-java-jar").toAbsolutePath();
    private final List<ChildProcess> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void killEverythingStarted() {
        processes.forEach(ChildProcess::close);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void cliCommandsRunWithoutAnyJvmFlagAndBenchMaxSimSaysWhatItNeeds() throws Exception {
        Path page = writePage();
        Path out = dir.resolve("pixels.safetensors");
        ChildProcess preprocess = started(ChildProcess.startJar("preprocess", List.of(),
                List.of("preprocess", "--size", "28", "--output", out.toString(), page.toString()), env(),
                dir.resolve("preprocess.log")));
        assertThat(preprocess.awaitExit(Duration.ofMinutes(2))).as("preprocess exit status").isZero();
        assertThat(out).isRegularFile();
        assertThat(Files.size(out)).as("3 x 28 x 28 floats and a header").isGreaterThan(3 * 28 * 28 * 4);

        ChildProcess bench = started(ChildProcess.startJar("bench-maxsim", List.of(), List.of("bench-maxsim"), env(),
                dir.resolve("bench-maxsim.log")));
        assertThat(bench.awaitExit(Duration.ofMinutes(1))).as("bench-maxsim exit status").isEqualTo(2);
        assertThat(bench.linesMatching(line -> line.contains("--add-modules=jdk.incubator.vector"))).isNotEmpty();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void theServiceRunsTheWholeJobWithoutAnyJvmFlag() throws Exception {
        deleteRecursively(dir.resolve("data"));
        int kafkaPort = freePort();
        int httpPort = freePort();
        ChildProcess app = started(ChildProcess.startJar("service", List.of(
                        "-Dpagestream.model=" + TINY_A,
                        "-Dpagestream.data-dir=" + dir.resolve("data"),
                        "-Dpagestream.embedded-kafka.port=" + kafkaPort,
                        "-Dai.djl.pytorch.num_threads=1",
                        "-Dquarkus.http.host=127.0.0.1",
                        "-Dquarkus.http.port=" + httpPort),
                List.of(), env(), dir.resolve("service.log")));
        await("the service ready", START_TIMEOUT, () -> {
            assertThat(app.isAlive()).as("the service is running; see target/plain-java-jar/service.log").isTrue();
            return status(httpPort, "/q/health/ready") == 200;
        });
        assertThat(app.linesMatching(line -> line.contains("Vector API is not enabled")
                && line.contains("--add-modules=jdk.incubator.vector"))).as("the scalar-kernel warning").isNotEmpty();

        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + kafkaPort,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("pagestream.pages", "plain-doc", PagePublisher.image(7)))
                    .get(30, TimeUnit.SECONDS);
        }
        String[] reply = new String[1];
        await("the page searchable", Duration.ofMinutes(2), () -> {
            reply[0] = search(httpPort);
            return reply[0].contains("\"doc_id\":\"plain-doc\"");
        });
        assertThat(reply[0]).contains("\"score\":").doesNotContain("\"error\"");
        assertThat(app.stop(Duration.ofSeconds(60))).as("exit status after SIGTERM").isIn(0, 143);
    }

    private ChildProcess started(ChildProcess process) {
        processes.add(process);
        return process;
    }

    private Path writePage() throws IOException {
        Files.createDirectories(dir);
        Path page = dir.resolve("page.png");
        Files.write(page, PagePublisher.image(3));
        return page;
    }

    private static Map<String, String> env() {
        Path djlCache = Path.of(System.getProperty("pagestream.it.djl-cache-dir", "target/djl-cache"));
        return Map.of("DJL_OFFLINE", "true", "OPT_OUT_TRACKING", "true",
                "DJL_CACHE_DIR", djlCache.toAbsolutePath().toString());
    }

    private int status(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private String search(int port) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/search"))
                    .header("content-type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"a page\", \"top_k\": 3}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as("POST /search: %s", response.body()).isEqualTo(200);
            return response.body();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
