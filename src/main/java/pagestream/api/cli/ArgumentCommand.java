package pagestream.api.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** A {@link CliCommand} with declared options: parses them, and answers a {@link UsageException} with exit code 2. */
abstract class ArgumentCommand implements CliCommand {

    private final Set<String> valueOptions;
    private final Set<String> flags;

    ArgumentCommand(Set<String> valueOptions, Set<String> flags) {
        this.valueOptions = valueOptions;
        this.flags = flags;
    }

    @Override
    public final int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        try {
            return run(CliArgs.parse(args, valueOptions, flags), out, err);
        } catch (UsageException e) {
            err.println(name() + ": " + e.getMessage());
            err.println("usage: " + name() + " " + usage().lines().findFirst().orElse("")
                    + "   (" + name() + " --help for details)");
            return 2;
        }
    }

    abstract int run(CliArgs args, PrintStream out, PrintStream err) throws Exception;
}
