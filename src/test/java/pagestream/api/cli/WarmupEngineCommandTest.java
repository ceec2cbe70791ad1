package pagestream.api.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WarmupEngineCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        return new WarmupEngineCommand().run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void loadsTokenizersAndPyTorchAndRunsAnOp() throws Exception {
        assertThat(run()).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("tokenizers native library loaded")
                .contains("engine PyTorch 2.5.1");
    }

    @Test
    void tokenizersOnlySkipsPyTorch() throws Exception {
        assertThat(run("--tokenizers-only")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("tokenizers").doesNotContain("engine PyTorch");
    }

    @Test
    void unknownArgumentIsRefusedWithUsage() throws Exception {
        assertThat(run("--gpu")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown arguments [--gpu]").contains("--tokenizers-only");
    }

    @Test
    void isRegisteredAsACliCommand() {
        assertThat(java.util.ServiceLoader.load(CliCommand.class).stream().map(p -> p.type().getName()))
                .contains(WarmupEngineCommand.class.getName());
    }
}
