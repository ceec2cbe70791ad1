package pagestream.api.cli;

import pagestream.embed.Device;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed command line: {@code --name value}, {@code --name=value} (repeatable), {@code --flag}, and positional
 * arguments ({@code --} ends the options). Unknown options are refused, naming them.
 */
public final class CliArgs {

    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final List<String> positionals = new ArrayList<>();

    private CliArgs() {
    }

    /**
     * @param valueOptions options that take a value (without the leading {@code --})
     * @param flags        options that take none
     */
    public static CliArgs parse(List<String> args, Set<String> valueOptions, Set<String> flags) throws UsageException {
        CliArgs parsed = new CliArgs();
        boolean optionsEnded = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (optionsEnded || !arg.startsWith("--") || arg.length() == 2 && !arg.equals("--")) {
                parsed.positionals.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                optionsEnded = true;
                continue;
            }
            int eq = arg.indexOf('=');
            String name = arg.substring(2, eq < 0 ? arg.length() : eq);
            if (flags.contains(name)) {
                if (eq >= 0) {
                    throw new UsageException("option --" + name + " takes no value");
                }
                parsed.values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (valueOptions.contains(name)) {
                String value;
                if (eq >= 0) {
                    value = arg.substring(eq + 1);
                } else if (i + 1 < args.size()) {
                    value = args.get(++i);
                } else {
                    throw new UsageException("option --" + name + " needs a value");
                }
                parsed.values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                throw new UsageException("unknown option --" + name);
            }
        }
        return parsed;
    }

    public Optional<String> value(String name) throws UsageException {
        List<String> list = values(name);
        if (list.size() > 1) {
            throw new UsageException("option --" + name + " given " + list.size() + " times");
        }
        return list.stream().findFirst();
    }

    public String required(String name) throws UsageException {
        return value(name).orElseThrow(() -> new UsageException("missing option --" + name));
    }

    public List<String> values(String name) {
        return values.getOrDefault(name, List.of());
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    public int intValue(String name, int defaultValue, int min, int max) throws UsageException {
        Optional<String> text = value(name);
        if (text.isEmpty()) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text.get());
            if (value < min || value > max) {
                throw new UsageException("--" + name + " must be between " + min + " and " + max + ", got " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a whole number, got '" + text.get() + "'");
        }
    }

    /** {@code --device auto|cpu|cuda}; {@code auto} when absent. */
    public Device device() throws UsageException {
        String text = value("device").orElse("auto");
        try {
            return Device.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--device must be auto, cpu or cuda, got '" + text + "'");
        }
    }

    public List<String> positionals() {
        return positionals;
    }

    /** An input file that must exist; the message names it. */
    public static Path existingFile(String text, String what) throws UsageException {
        Path path = Path.of(text);
        if (!Files.isRegularFile(path)) {
            throw new UsageException(what + " " + path + (Files.isDirectory(path) ? " is a directory" : " does not exist"));
        }
        return path;
    }

    /** A directory that must exist; the message names it. */
    public static Path existingDirectory(String text, String what) throws UsageException {
        Path path = Path.of(text);
        if (!Files.isDirectory(path)) {
            throw new UsageException(what + " " + path + (Files.exists(path) ? " is not a directory" : " does not exist"));
        }
        return path;
    }

    /** An output file whose directory must exist. */
    public static Path outputFile(String text) throws UsageException {
        Path path = Path.of(text).toAbsolutePath();
        if (!Files.isDirectory(path.getParent())) {
            throw new UsageException("output directory " + path.getParent() + " does not exist");
        }
        if (Files.isDirectory(path)) {
            throw new UsageException("output " + path + " is a directory");
        }
        return path;
    }
}
