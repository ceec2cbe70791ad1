package pagestream.api.cli;

import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.Logger;
import org.jboss.logmanager.formatters.PatternFormatter;
import org.jboss.logmanager.handlers.ConsoleHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Logging for commands, which run without Quarkus: its logging configuration never applies to them, and the
 * bootstrap logging that {@code quarkus-run.jar} installs takes every record at every level ({@code Level.ALL}, into
 * a handler that waits for a configuration that never comes). With the in-process broker of {@code bench-load} that
 * meant formatting Kafka's TRACE messages: a tenth of everything the benchmark allocated, and GC pauses the service
 * does not have. Commands log at INFO to stderr, with the category levels of {@code application.properties}
 * ({@code quarkus.log.category."<name>".level}), as the service does, and the same overrides the service takes:
 * {@code QUARKUS_LOG_LEVEL} and {@code QUARKUS_LOG_CATEGORY__<NAME>__LEVEL} from the environment (the name's
 * underscores read as dots, {@code ORG_APACHE_KAFKA} as {@code org.apache.kafka}), then {@code -Dquarkus.log.level}
 * and {@code -Dquarkus.log.category."<name>".level}.
 */
public final class CliLogging {

    private static final Pattern CATEGORY_LEVEL = Pattern.compile("quarkus\\.log\\.category\\.\"([^\"]+)\"\\.level");
    private static final Pattern CATEGORY_LEVEL_ENV = Pattern.compile("QUARKUS_LOG_CATEGORY__([A-Z0-9_]+)__LEVEL");
    private static final String ROOT_LEVEL = "quarkus.log.level";
    private static final String FORMAT = "%d{HH:mm:ss,SSS} %-5p [%c{3.}] (%t) %s%e%n";

    private CliLogging() {
    }

    public static void configure() {
        configure(LogContext.getLogContext(), System.getProperties(), System.getenv());
    }

    static void configure(LogContext context, Properties systemProperties, Map<String, String> env) {
        Logger root = context.getLogger("");
        ConsoleHandler console = new ConsoleHandler(ConsoleHandler.Target.SYSTEM_ERR, new PatternFormatter(FORMAT));
        root.setHandlers(new Handler[] {console});
        Properties application = applicationProperties();
        String rootLevel = systemProperties.getProperty(ROOT_LEVEL,
                env.getOrDefault("QUARKUS_LOG_LEVEL", application.getProperty(ROOT_LEVEL, "INFO")));
        root.setLevel(Level.parse(rootLevel.trim()));
        Map<String, String> categories = new LinkedHashMap<>(); // category -> level, later sources win
        categoryLevels(application, categories);
        env.forEach((name, level) -> {
            Matcher category = CATEGORY_LEVEL_ENV.matcher(name);
            if (category.matches()) {
                categories.put(category.group(1).toLowerCase(Locale.ROOT).replace('_', '.'), level);
            }
        });
        categoryLevels(systemProperties, categories);
        categories.forEach((category, level) -> context.getLogger(category).setLevel(Level.parse(level.trim())));
    }

    private static void categoryLevels(Properties properties, Map<String, String> into) {
        for (String key : properties.stringPropertyNames()) {
            Matcher category = CATEGORY_LEVEL.matcher(key);
            if (category.matches()) {
                into.put(category.group(1), properties.getProperty(key));
            }
        }
    }

    private static Properties applicationProperties() {
        Properties properties = new Properties();
        try (InputStream in = CliLogging.class.getClassLoader().getResourceAsStream("application.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read application.properties from the class path", e);
        }
        return properties;
    }
}
