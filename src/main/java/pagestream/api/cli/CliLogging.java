package pagestream.api.cli;

import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.Logger;
import org.jboss.logmanager.formatters.PatternFormatter;
import org.jboss.logmanager.handlers.ConsoleHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
 * ({@code quarkus.log.category."<name>".level}), as the service does.
 */
public final class CliLogging {

    private static final Pattern CATEGORY_LEVEL = Pattern.compile("quarkus\\.log\\.category\\.\"([^\"]+)\"\\.level");
    private static final String FORMAT = "%d{HH:mm:ss,SSS} %-5p [%c{3.}] (%t) %s%e%n";

    private CliLogging() {
    }

    public static void configure() {
        configure(LogContext.getLogContext());
    }

    static void configure(LogContext context) {
        Logger root = context.getLogger("");
        ConsoleHandler console = new ConsoleHandler(ConsoleHandler.Target.SYSTEM_ERR, new PatternFormatter(FORMAT));
        root.setHandlers(new Handler[] {console});
        root.setLevel(Level.INFO);
        Properties properties = applicationProperties();
        for (String key : properties.stringPropertyNames()) {
            Matcher category = CATEGORY_LEVEL.matcher(key);
            if (category.matches()) {
                context.getLogger(category.group(1)).setLevel(Level.parse(properties.getProperty(key).trim()));
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
