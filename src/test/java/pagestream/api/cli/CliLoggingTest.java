package pagestream.api.cli;

import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.handlers.ConsoleHandler;
import org.junit.jupiter.api.Test;

import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/** Commands log as the service does: INFO, with application.properties' category levels (Kafka at WARN). */
class CliLoggingTest {

    @Test
    void commandsLogAtInfoWithTheServicesCategoryLevelsToOneConsoleHandler() {
        LogContext context = LogContext.create(); // not the JVM's: other tests keep their logging
        context.getLogger("").setLevel(Level.ALL); // what Quarkus' bootstrap logging leaves a command with

        CliLogging.configure(context);

        assertThat(context.getLogger("pagestream.stream").isLoggable(Level.INFO)).isTrue();
        assertThat(context.getLogger("pagestream.stream").isLoggable(Level.FINE)).isFalse();
        // The in-process broker's and clients' TRACE/DEBUG/INFO messages are not even formatted.
        assertThat(context.getLogger("org.apache.kafka.clients.NetworkClient").isLoggable(Level.INFO)).isFalse();
        assertThat(context.getLogger("kafka.server.KafkaApis").isLoggable(Level.FINEST)).isFalse();
        assertThat(context.getLogger("org.apache.kafka.clients.NetworkClient").isLoggable(Level.WARNING)).isTrue();
        assertThat(context.getLogger("org.apache.kafka.streams.KafkaStreams").isLoggable(Level.INFO)).isTrue();
        assertThat(context.getLogger("").getHandlers()).singleElement().isInstanceOf(ConsoleHandler.class);
    }
}
