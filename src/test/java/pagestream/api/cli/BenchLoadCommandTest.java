package pagestream.api.cli;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The benchmark runs end to end on the tiny model and reports every figure; its timings are not asserted. */
class BenchLoadCommandTest {

    @Test
    void backlogPagesAreDistinctSmallPngs() {
        List<byte[]> pages = BenchLoadCommand.pages(50);

        assertThat(pages).hasSize(50).allSatisfy(png -> {
            assertThat(png).startsWith(0x89, 'P', 'N', 'G');
            assertThat(png.length).isLessThan(20_000);
        });
        assertThat(new HashSet<>(pages.stream().map(Arrays::hashCode).toList())).hasSize(50);
    }

    @Test
    void smallRunReportsIngestionLatencyPhasesAndMemory() {
        CliRun run = CliRun.of(new BenchLoadCommand(), "--model", "src/test/resources/golden/tiny-a", "--pages", "24",
                "--idle-queries", "3", "--query-rate", "20", "--sample-ms", "200");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("ingestion:", "idle before", "under load", "idle after", "verdict:",
                "memory: RSS idle");
        assertThat(run.out()).containsPattern("queries StreamThread-\\d+: tasks \\[0_\\d\\]") // a query task alone
                .containsPattern("ingestion StreamThread-\\d+: tasks \\[0_\\d\\]");
    }

    @Test
    void badArgumentsAreRejectedWithUsage() {
        CliRun run = CliRun.of(new BenchLoadCommand(), "--pages", "zero");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--pages must be a whole number", "usage:");
    }
}
