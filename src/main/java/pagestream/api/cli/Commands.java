package pagestream.api.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;

/** The {@link CliCommand}s listed in {@code META-INF/services/pagestream.api.cli.CliCommand}, and how one is run. */
public final class Commands {

    private static final Set<String> HELP = Set.of("help", "--help", "-h");

    private Commands() {
    }

    /** Every registered command by name; a broken services-file line is reported and skipped, not fatal to all. */
    public static List<CliCommand> all() {
        List<CliCommand> commands = new ArrayList<>();
        Iterator<CliCommand> providers = ServiceLoader.load(CliCommand.class, Commands.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!providers.hasNext()) {
                    break;
                }
                commands.add(providers.next());
            } catch (ServiceConfigurationError e) {
                System.err.println("skipping a CLI command: " + e.getMessage());
            }
        }
        commands.sort(Comparator.comparing(CliCommand::name));
        return commands;
    }

    public static Optional<CliCommand> find(String name) {
        return all().stream().filter(c -> c.name().equals(name)).findFirst();
    }

    public static boolean isHelp(String arg) {
        return HELP.contains(arg);
    }

    public static void printHelp(PrintStream out) {
        out.println("Usage: java -jar target/quarkus-app/quarkus-run.jar [COMMAND [OPTIONS]]");
        out.println("Without a command, starts the PageStream service. Commands (run without Kafka or a vector store):");
        for (CliCommand command : all()) {
            out.println();
            out.println("  " + command.name());
            command.usage().lines().forEach(line -> out.println("      " + line));
        }
    }

    /**
     * Runs a command; {@code <command> --help} prints its usage. A failure is one clear line on {@code err}
     * (exit 1), never a stack trace; the command itself answers bad arguments with exit code 2.
     */
    public static int run(CliCommand command, List<String> args, PrintStream out, PrintStream err) {
        if (args.size() == 1 && isHelp(args.get(0))) {
            out.println(command.name() + ": " + command.usage());
            return 0;
        }
        try {
            return command.run(args, out, err);
        } catch (Exception | OutOfMemoryError e) {
            err.println(command.name() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        }
    }
}
