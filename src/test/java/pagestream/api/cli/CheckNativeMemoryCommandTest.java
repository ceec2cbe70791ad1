package pagestream.api.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A short run of the native-memory check on tiny-a (the 10,000-batch run is the command's default). */
class CheckNativeMemoryCommandTest {

    private static final String TINY_A = "src/test/resources/golden/tiny-a";

    @Test
    void shortRunPassesAndReportsArraysAndRss() {
        CliRun run = CliRun.of(new CheckNativeMemoryCommand(), "--model", TINY_A, "--batches", "40", "--warmup", "10",
                "--max-rss-growth-mb", "256");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("after warm-up", "batch 40", "ok: open NDArrays unchanged", "RSS growth");
    }

    @Test
    void missingModelIsAUsageError() {
        CliRun run = CliRun.of(new CheckNativeMemoryCommand(), "--batches", "10");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--model");
    }
}
