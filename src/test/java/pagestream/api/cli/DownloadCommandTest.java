package pagestream.api.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.model.hub.FakeHub;
import pagestream.model.hub.HubOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class DownloadCommandTest {

    private static final String COMMIT = "00112233445566778899aabbccddeeff00112233";

    @TempDir
    Path home;

    private FakeHub hub;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
        hub.addTinyA("acme/tiny-a", COMMIT);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private DownloadCommand command() {
        return new DownloadCommand(() -> new HubOptions(hub.endpoint(), Optional.empty(),
                home.resolve("default-cache"), false, false, line -> { }));
    }

    @Test
    void printsTheSnapshotDirectoryAndLogsProgressToStderr() {
        Path cache = home.resolve("cache");

        CliRun run = CliRun.of(command(), "--model", "acme/tiny-a", "--cache", cache.toString());

        assertThat(run.code()).isZero();
        Path snapshot = cache.resolve("models--acme--tiny-a/snapshots/" + COMMIT);
        assertThat(run.out().strip()).isEqualTo(snapshot.toString());
        assertThat(snapshot.resolve("model.safetensors")).isRegularFile();
        assertThat(run.err()).contains("Downloading model.safetensors").contains("MB/s");
    }

    @Test
    void revisionOptionAndOfflineRerun() {
        Path cache = home.resolve("cache");
        assertThat(CliRun.of(command(), "--model", "acme/tiny-a", "--revision", COMMIT, "--cache", cache.toString())
                .code()).isZero();
        int requests = hub.requests().size();

        CliRun offline = CliRun.of(command(), "--model", "acme/tiny-a@" + COMMIT, "--cache", cache.toString(),
                "--offline");

        assertThat(offline.code()).isZero();
        assertThat(offline.out().strip()).endsWith(COMMIT);
        assertThat(hub.requests()).hasSize(requests);
    }

    @Test
    void badArgumentsExitWithCode2() {
        CliRun missing = CliRun.of(command());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("missing option --model").contains("usage: download --model REPO_ID");

        CliRun unknown = CliRun.of(command(), "--model", "acme/tiny-a", "--colour", "blue");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown option --colour");

        CliRun twice = CliRun.of(command(), "--model", "acme/tiny-a@main", "--revision", "v1");
        assertThat(twice.code()).isEqualTo(2);
        assertThat(twice.err()).contains("either in --model");
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void unknownRepositoryIsOneClearLineAndExitCode1() {
        CliRun run = CliRun.of(command(), "--model", "acme/nothing-here", "--cache", home.toString());

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).startsWith("download: Model repository acme/nothing-here not found")
                .doesNotContain("Exception");
    }
}
