package pagestream.model.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.PageStreamConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelSourceTest {

    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final Path TINY_A = Path.of("src/test/resources/golden/tiny-a");

    @TempDir
    Path cache;

    private FakeHub hub;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
        hub.addTinyA("acme/tiny-a", COMMIT);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private HubOptions options(Optional<String> token) {
        return new HubOptions(hub.endpoint(), token, cache, false, false, log::add);
    }

    private HubOptions options() {
        return options(Optional.empty());
    }

    @Test
    void downloadsIntoTheHuggingFaceCacheLayout() throws IOException {
        Path snapshot = ModelSource.resolve("acme/tiny-a", options());

        Path repoDir = cache.resolve("models--acme--tiny-a");
        assertThat(snapshot).isEqualTo(repoDir.resolve("snapshots").resolve(COMMIT));
        assertThat(Files.readString(repoDir.resolve("refs/main"))).isEqualTo(COMMIT);
        try (Stream<Path> entries = Files.list(snapshot)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("config.json",
                    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "model.safetensors");
        }
        byte[] weights = Files.readAllBytes(TINY_A.resolve("model.safetensors"));
        Path weightsLink = snapshot.resolve("model.safetensors");
        assertThat(Files.isSymbolicLink(weightsLink)).isTrue();
        // LFS blobs are named by their sha256, linked relatively as huggingface_hub does.
        assertThat(Files.readSymbolicLink(weightsLink).toString()).isEqualTo("../../blobs/" + FakeHub.sha256(weights));
        assertThat(Files.readAllBytes(weightsLink)).isEqualTo(weights);
        for (String name : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
            assertThat(Files.isSymbolicLink(snapshot.resolve(name))).isTrue();
            assertThat(Files.readSymbolicLink(snapshot.resolve(name)).toString()).startsWith("../../blobs/");
            assertThat(Files.readAllBytes(snapshot.resolve(name))).isEqualTo(Files.readAllBytes(TINY_A.resolve(name)));
        }
        try (Stream<Path> blobs = Files.list(repoDir.resolve("blobs"))) {
            assertThat(blobs.map(p -> p.getFileName().toString())).hasSize(5).noneMatch(n -> n.endsWith(".incomplete"));
        }
        assertThat(log).anyMatch(line -> line.contains("model.safetensors") && line.contains("MB/s"));
    }

    @Test
    void secondResolveMakesNoRequest() {
        Path first = ModelSource.resolve("acme/tiny-a", options());
        int requests = hub.requests().size();

        Path second = ModelSource.resolve("acme/tiny-a", options());

        assertThat(second).isEqualTo(first);
        assertThat(hub.requests()).hasSize(requests);
    }

    @Test
    void refreshAsksTheHubButDownloadsNothingAgain() {
        ModelSource.resolve("acme/tiny-a", options());
        int cdnRequests = hub.requests("cdn").size();

        Path snapshot = ModelSource.resolve("acme/tiny-a", options().withRefresh(true));

        assertThat(snapshot.getFileName().toString()).isEqualTo(COMMIT);
        assertThat(hub.requests("hub")).anyMatch(r -> r.path().startsWith("/api/models/acme/tiny-a/revision/main"));
        assertThat(hub.requests("cdn")).hasSize(cdnRequests);
    }

    @Test
    void refreshFallsBackToTheCacheWhenTheHubIsDown() {
        Path cached = ModelSource.resolve("acme/tiny-a", options());
        hub.close();

        assertThat(ModelSource.resolve("acme/tiny-a", options().withRefresh(true))).isEqualTo(cached);
        assertThat(log).anyMatch(line -> line.contains("unreachable") && line.contains("using the cached snapshot"));
        assertThatThrownBy(() -> ModelSource.resolve("acme/other", options()))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("Cannot reach the hub at " + hub.endpoint());
    }

    @Test
    void offlineModeUsesOnlyTheCache() {
        assertThatThrownBy(() -> ModelSource.resolve("acme/tiny-a", options().withOffline(true)))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("offline mode is on (HF_HUB_OFFLINE)")
                .hasMessageContaining("download --model");
        assertThat(hub.requests()).isEmpty();

        Path online = ModelSource.resolve("acme/tiny-a", options());
        int requests = hub.requests().size();
        assertThat(ModelSource.resolve("acme/tiny-a", options().withOffline(true).withRefresh(true))).isEqualTo(online);
        assertThat(hub.requests()).hasSize(requests);
    }

    @Test
    void resumesAnInterruptedTransferWithARangeRequest() throws IOException {
        byte[] weights = Files.readAllBytes(TINY_A.resolve("model.safetensors"));
        hub.cutNextTransferAfter(300_000);

        Path snapshot = ModelSource.resolve("acme/tiny-a", options());

        assertThat(Files.readAllBytes(snapshot.resolve("model.safetensors"))).isEqualTo(weights);
        List<String> ranges = hub.requests("cdn").stream().map(FakeHub.Request::range).toList();
        assertThat(ranges).hasSize(2);
        assertThat(ranges.get(0)).isNull();
        // Resumed from what reached the disk: at most the 300,000 bytes sent before the cut.
        long resumedAt = Long.parseLong(ranges.get(1).replaceAll("bytes=(\\d+)-", "$1"));
        assertThat(resumedAt).isPositive().isLessThanOrEqualTo(300_000);
        assertThat(log).anyMatch(line -> line.contains("transfer interrupted"));
    }

    @Test
    void resumesAPartialFileLeftByAnEarlierProcess() throws IOException {
        byte[] weights = Files.readAllBytes(TINY_A.resolve("model.safetensors"));
        Path partial = cache.resolve("models--acme--tiny-a/blobs/" + FakeHub.sha256(weights) + ".incomplete");
        Files.createDirectories(partial.getParent());
        Files.write(partial, java.util.Arrays.copyOf(weights, 123_456));

        Path snapshot = ModelSource.resolve("acme/tiny-a", options());

        assertThat(Files.readAllBytes(snapshot.resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(hub.requests("cdn")).extracting(FakeHub.Request::range).containsExactly("bytes=123456-");
        assertThat(partial).doesNotExist();
    }

    @Test
    void checksumMismatchKeepsTheCorruptFileOutOfTheCache() throws IOException {
        hub.addTinyA("acme/corrupt", COMMIT).corruptCdn = true;

        assertThatThrownBy(() -> ModelSource.resolve("acme/corrupt", options()))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("Checksum mismatch for model.safetensors")
                .hasMessageContaining("expected sha256");
        Path repoDir = cache.resolve("models--acme--corrupt");
        String weightsSha = FakeHub.sha256(Files.readAllBytes(TINY_A.resolve("model.safetensors")));
        assertThat(repoDir.resolve("snapshots").resolve(COMMIT).resolve("model.safetensors")).doesNotExist();
        try (Stream<Path> blobs = Files.list(repoDir.resolve("blobs"))) {
            assertThat(blobs.map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.startsWith(weightsSha));
        }
    }

    @Test
    void tokenGoesToTheHubOnlyNeverToTheCdn() throws IOException {
        hub.addTinyA("acme/gated", COMMIT).gated = true;

        Path snapshot = ModelSource.resolve("acme/gated", options(Optional.of(FakeHub.TOKEN)));

        assertThat(snapshot).isDirectory();
        assertThat(hub.requests("hub")).isNotEmpty()
                .allMatch(r -> ("Bearer " + FakeHub.TOKEN).equals(r.authorization()));
        assertThat(hub.requests("cdn")).isNotEmpty().allMatch(r -> r.authorization() == null);
        assertThat(log).noneMatch(line -> line.contains(FakeHub.TOKEN));
    }

    /**
     * A rejected token and an unreachable hub: the errors (with their whole cause chain), the download log and every
     * record the JVM's log manager sees are free of the token.
     */
    @Test
    void failedDownloadsNeverShowTheToken() throws Exception {
        hub.addTinyA("acme/gated", COMMIT).gated = true;
        String wrongToken = "hf_wrong_secret_token_4e1b";
        List<String> records = Collections.synchronizedList(new ArrayList<>());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                records.add(new java.util.logging.SimpleFormatter().format(r));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(capture);
        List<Throwable> failures = new ArrayList<>();
        try {
            HubOptions rejected = new HubOptions(hub.endpoint(), Optional.of(wrongToken), cache, false, false, log::add);
            failures.add(org.assertj.core.api.Assertions.catchThrowable(() -> ModelSource.resolve("acme/gated", rejected)));
            int closedPort;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                closedPort = s.getLocalPort();
            }
            HubOptions unreachable = new HubOptions(java.net.URI.create("http://127.0.0.1:" + closedPort), Optional.of(wrongToken),
                    cache.resolve("other"), false, false, log::add);
            failures.add(org.assertj.core.api.Assertions.catchThrowable(() -> ModelSource.resolve("acme/gated", unreachable)));
        } finally {
            root.removeHandler(capture);
        }
        assertThat(failures).allMatch(f -> f instanceof HubException);
        assertThat(rejected(hub)).isTrue();
        for (Throwable failure : failures) {
            java.io.StringWriter trace = new java.io.StringWriter();
            failure.printStackTrace(new java.io.PrintWriter(trace));
            assertThat(trace.toString()).doesNotContain(wrongToken);
        }
        assertThat(log).noneMatch(line -> line.contains(wrongToken));
        assertThat(records).noneMatch(line -> line.contains(wrongToken));
    }

    /** The hub saw the wrong token (so the failure above was a refusal, not a request without one). */
    private static boolean rejected(FakeHub hub) {
        return hub.requests("hub").stream().anyMatch(r -> r.authorization() != null && r.authorization().startsWith("Bearer hf_wrong"));
    }

    @Test
    void gatedRepoWithoutTokenSaysHowToGetAccess() throws IOException {
        hub.addTinyA("acme/gated", COMMIT).gated = true;

        assertThatThrownBy(() -> ModelSource.resolve("acme/gated", options()))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("acme/gated is a gated repository")
                .hasMessageContaining(hub.endpoint() + "/acme/gated")
                .hasMessageContaining("HF_TOKEN");
    }

    @Test
    void unknownRepoAndRevisionAreClearErrors() {
        assertThatThrownBy(() -> ModelSource.resolve("acme/missing", options()))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("Model repository acme/missing not found on " + hub.endpoint());
        assertThatThrownBy(() -> ModelSource.resolve("acme/tiny-a@v9", options()))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("Revision 'v9' not found in acme/tiny-a");
    }

    @Test
    void missingLocalDirectorySaysHowToGetAModel() {
        assertThatThrownBy(() -> ModelSource.resolve("./models/nowhere/at-all", options()))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("Model './models/nowhere/at-all' not found")
                .hasMessageContaining("download --model vidore/colpali-v1.3-hf")
                .hasMessageContaining("pagestream.model");
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void existingDirectoryIsUsedAsIs() {
        assertThat(ModelSource.resolve(TINY_A.toString(), options())).isEqualTo(TINY_A.toAbsolutePath());
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void commitRevisionAndRenamedRepoFollowTheHub() {
        hub.rename("acme/old-name", "acme/tiny-a");

        Path snapshot = ModelSource.resolve("acme/old-name@" + COMMIT, options());

        assertThat(snapshot).isEqualTo(cache.resolve("models--acme--old-name/snapshots/" + COMMIT));
        assertThat(cache.resolve("models--acme--old-name/refs")).doesNotExist();
        assertThat(snapshot.resolve("model.safetensors")).isRegularFile();
    }

    @Test
    void loraAdapterRepoBringsItsBaseModel() throws IOException {
        hub.add("acme/tiny-lora", "fedcba9876543210fedcba9876543210fedcba98")
                .file("adapter_config.json", "{\"base_model_name_or_path\":\"acme/tiny-a\",\"r\":4}".getBytes(), false)
                .file("adapter_model.safetensors", Files.readAllBytes(TINY_A.resolve("model.safetensors")), true);

        Path adapter = ModelSource.resolve("acme/tiny-lora", options());

        assertThat(adapter.resolve("adapter_model.safetensors")).isRegularFile();
        Path base = ModelSource.adapterBase(adapter, options()).orElseThrow();
        assertThat(base).isEqualTo(cache.resolve("models--acme--tiny-a/snapshots/" + COMMIT));
        assertThat(base.resolve("model.safetensors")).isRegularFile();
        assertThat(ModelSource.adapterBase(base, options())).isEmpty();
    }

    @Test
    void optionsFollowHuggingFaceHubEnvironmentVariables() {
        Path home = Path.of("/home/u");
        HubOptions defaults = HubOptions.fromEnvironment(Map.of(), home);
        assertThat(defaults.cacheDir()).isEqualTo(Path.of("/home/u/.cache/huggingface/hub"));
        assertThat(defaults.endpoint()).hasToString("https://huggingface.co");
        assertThat(defaults.offline()).isFalse();
        assertThat(defaults.token()).isEmpty();

        assertThat(HubOptions.fromEnvironment(Map.of("HF_HOME", "/data/hf"), home).cacheDir())
                .isEqualTo(Path.of("/data/hf/hub"));
        HubOptions set = HubOptions.fromEnvironment(Map.of("HF_HOME", "/data/hf", "HF_HUB_CACHE", "/c",
                "HF_HUB_OFFLINE", "1", "HF_ENDPOINT", "https://mirror.example/", "HF_TOKEN", "hf_abc"), home);
        assertThat(set.cacheDir()).isEqualTo(Path.of("/c"));
        assertThat(set.offline()).isTrue();
        assertThat(set.endpoint()).hasToString("https://mirror.example");
        assertThat(set.token()).contains("hf_abc");
        assertThat(set.toString()).doesNotContain("hf_abc");
    }

    @Test
    void pagestreamHubSettingsOverrideTheEnvironment() {
        HubOptions options = HubOptions.from(new PageStreamConfig.Hub() {
            @Override
            public boolean offline() {
                return true;
            }

            @Override
            public Optional<Path> cacheDir() {
                return Optional.of(Path.of("/models/hf"));
            }
        });

        assertThat(options.offline()).isTrue();
        assertThat(options.cacheDir()).isEqualTo(Path.of("/models/hf"));
    }

    @Test
    void tokenFileWrittenByHuggingFaceLoginIsRead(@TempDir Path hfHome) throws IOException {
        Files.writeString(hfHome.resolve("token"), "hf_from_file\n");
        assertThat(HubOptions.fromEnvironment(Map.of("HF_HOME", hfHome.toString()), Path.of("/home/u")).token())
                .contains("hf_from_file");
    }
}
