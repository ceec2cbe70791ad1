package pagestream.api;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import pagestream.api.cli.CliCommand;
import pagestream.api.cli.CliLogging;
import pagestream.api.cli.Commands;

import java.util.Arrays;
import java.util.Optional;

/**
 * Entry point of {@code java -jar quarkus-run.jar}: {@code <command> [options]} runs a {@link CliCommand} without
 * starting Quarkus (no Kafka, no vector store, no HTTP server); {@code help} lists the commands; anything else
 * starts the service.
 */
@QuarkusMain
public final class Main {

    private Main() {
    }

    public static void main(String... args) {
        // quarkus-run.jar sets this; a plain `java -cp` run must too, before any library touches java.util.logging.
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        }
        if (args.length > 0 && Commands.isHelp(args[0])) {
            Commands.printHelp(System.out);
            System.exit(0);
        }
        Optional<CliCommand> command = args.length > 0 ? Commands.find(args[0]) : Optional.empty();
        if (command.isPresent()) {
            CliLogging.configure();
            int code = Commands.run(command.get(), Arrays.asList(args).subList(1, args.length), System.out, System.err);
            System.out.flush();
            System.exit(code);
        }
        Quarkus.run(args);
    }
}
