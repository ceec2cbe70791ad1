package pagestream.api.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * A sub-command of {@code java -jar quarkus-run.jar <name> ...}, run without starting the service (no Kafka,
 * no vector store). Implementations are listed in {@code META-INF/services/pagestream.api.cli.CliCommand}.
 */
public interface CliCommand {

    String name();

    /** One line for the command list, then the options. */
    String usage();

    /** Returns the process exit code; a bad argument prints a clear message to {@code err} and returns 2. */
    int run(List<String> args, PrintStream out, PrintStream err) throws Exception;
}
