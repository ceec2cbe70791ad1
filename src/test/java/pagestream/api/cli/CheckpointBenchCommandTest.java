package pagestream.api.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The benchmark command runs end to end on a tiny tensor and cleans up; figures are not asserted. */
class CheckpointBenchCommandTest {

    @Test
    void printsEveryConversionAgainstTheBaselineAndDeletesItsFiles(@TempDir Path dir) throws Exception {
        CliRun run = CliRun.of(new CheckpointBenchCommand(), "--million-elements", "1", "--repeats", "1",
                "--dir", dir.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("tensor [1000000] BF16 (2 MB) and F32 (4 MB)")
                .contains("F32  -> FLOAT32 (copy, baseline)").contains("time x1.00 of baseline")
                .contains("BF16 -> FLOAT32").contains("BF16 -> FLOAT16").contains("MB/s");
        try (var left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
        assertThat(Commands.find("checkpoint-bench")).containsInstanceOf(CheckpointBenchCommand.class);
    }

    @Test
    void refusesASizeOutOfRange() {
        CliRun run = CliRun.of(new CheckpointBenchCommand(), "--million-elements", "0");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--million-elements must be between 1 and 500, got 0");
    }
}
