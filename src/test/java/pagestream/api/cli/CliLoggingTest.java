package pagestream.api.cli;

import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.handlers.ConsoleHandler;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/** Commands log as the service does: INFO, with application.properties' category levels (Kafka at WARN) and overrides. */
class CliLoggingTest {

    @Test
    void commandsLogAtInfoWithTheServicesCategoryLevelsToOneConsoleHandler() {
        LogContext context = LogContext.create(); // not the JVM's: other tests keep their logging
        context.getLogger("").setLevel(Level.ALL); // what Quarkus' bootstrap logging leaves a command with

        CliLogging.configure(context, new Properties(), Map.of());

        assertThat(context.getLogger("pagestream.stream").isLoggable(Level.INFO)).isTrue();
        assertThat(context.getLogger("pagestream.stream").isLoggable(Level.FINE)).isFalse();
        // The in-process broker's and clients' TRACE/DEBUG/INFO messages are not even formatted.
        assertThat(context.getLogger("org.apache.kafka.clients.NetworkClient").isLoggable(Level.INFO)).isFalse();
        assertThat(context.getLogger("kafka.server.KafkaApis").isLoggable(Level.FINEST)).isFalse();
        assertThat(context.getLogger("org.apache.kafka.clients.NetworkClient").isLoggable(Level.WARNING)).isTrue();
        assertThat(context.getLogger("org.apache.kafka.streams.KafkaStreams").isLoggable(Level.INFO)).isTrue();
        assertThat(context.getLogger("").getHandlers()).singleElement().isInstanceOf(ConsoleHandler.class);
    }

    /** The service's overrides reach commands too: the environment over application.properties, -D over both. */
    @Test
    void environmentAndSystemPropertiesOverrideTheLevels() {
        LogContext context = LogContext.create();
        Properties system = new Properties();
        system.setProperty("quarkus.log.category.\"pagestream.store\".level", "DEBUG");
        system.setProperty("quarkus.log.category.\"org.apache.kafka.clients\".level", "ERROR");
        Map<String, String> env = Map.of(
                "QUARKUS_LOG_LEVEL", "WARN",
                "QUARKUS_LOG_CATEGORY__ORG_APACHE_KAFKA__LEVEL", "INFO",
                "QUARKUS_LOG_CATEGORY__ORG_APACHE_KAFKA_CLIENTS__LEVEL", "DEBUG",
                "PATH", "/usr/bin");

        CliLogging.configure(context, system, env);

        assertThat(context.getLogger("").isLoggable(Level.WARNING)).isTrue();
        assertThat(context.getLogger("pagestream.stream").isLoggable(Level.INFO)).isFalse(); // root from the env
        assertThat(context.getLogger("pagestream.store").isLoggable(Level.FINE)).isTrue(); // -D
        assertThat(context.getLogger("org.apache.kafka.streams").isLoggable(Level.INFO)).isTrue(); // env over WARN
        assertThat(context.getLogger("org.apache.kafka.clients").isLoggable(Level.WARNING)).isFalse(); // -D over env
        assertThat(context.getLogger("kafka").isLoggable(Level.INFO)).isFalse(); // application.properties kept
    }
}
