package pagestream.api.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommandsTest {

    @Test
    void serviceFileRegistersTheCommands() {
        assertThat(Commands.all()).extracting(CliCommand::name).contains("download");
        assertThat(Commands.find("download")).containsInstanceOf(DownloadCommand.class);
        assertThat(Commands.find("serve")).isEmpty();
    }

    @Test
    void helpListsEveryCommandWithItsUsage() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Commands.printHelp(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String help = bytes.toString(StandardCharsets.UTF_8);

        for (CliCommand command : Commands.all()) {
            assertThat(help).contains("  " + command.name() + "\n");
        }
        assertThat(help).contains("--model REPO_ID [--revision R] [--cache DIR]");
        assertThat(Commands.isHelp("--help")).isTrue();
        assertThat(Commands.isHelp("embed")).isFalse();
    }

    @Test
    void commandHelpPrintsItsUsage() {
        CliRun run = CliRun.of(new DownloadCommand(), "--help");
        assertThat(run.code()).isZero();
        assertThat(run.out()).startsWith("download: --model REPO_ID");
    }

    @Test
    void argumentsParseOptionsFlagsAndPositionals() throws UsageException {
        CliArgs args = CliArgs.parse(List.of("--query", "a", "--query=b", "--flag", "x.png", "--", "--odd.png"),
                Set.of("query"), Set.of("flag"));

        assertThat(args.values("query")).containsExactly("a", "b");
        assertThat(args.flag("flag")).isTrue();
        assertThat(args.positionals()).containsExactly("x.png", "--odd.png");
        assertThatThrownBy(() -> args.value("query")).hasMessage("option --query given 2 times");
        assertThatThrownBy(() -> CliArgs.parse(List.of("--query"), Set.of("query"), Set.of()))
                .hasMessage("option --query needs a value");
        assertThatThrownBy(() -> CliArgs.parse(List.of("--size", "big"), Set.of("size"), Set.of())
                .intValue("size", 448, 14, 4096)).hasMessage("--size must be a whole number, got 'big'");
        assertThatThrownBy(() -> CliArgs.existingFile("no/such.png", "image"))
                .hasMessage("image no/such.png does not exist");
    }
}
