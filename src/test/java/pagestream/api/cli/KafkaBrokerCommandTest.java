package pagestream.api.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Arguments of {@code kafka-broker}. The broker process itself — the ready line, a SIGKILL, a restart on the same
 * port and log directory, a clean stop on SIGTERM — is exercised by {@code pagestream.it.CrashSafetyIT}.
 */
class KafkaBrokerCommandTest {

    @Test
    void isRegistered() {
        assertThat(Commands.find("kafka-broker")).containsInstanceOf(KafkaBrokerCommand.class);
    }

    @Test
    void refusesAPortOutOfRange() {
        CliRun run = CliRun.of(new KafkaBrokerCommand(), "--port", "70000");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--port must be between 0 and 65535, got 70000");
    }

    @Test
    void refusesUnknownOptionsAndPositionalArguments() {
        assertThat(CliRun.of(new KafkaBrokerCommand(), "--partitions", "3").err()).contains("unknown option --partitions");
        CliRun run = CliRun.of(new KafkaBrokerCommand(), "somewhere");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("unexpected arguments [somewhere]");
    }

    @Test
    void usageNamesEveryOption() {
        CliRun run = CliRun.of(new KafkaBrokerCommand(), "--help");
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("--port", "--data-dir", "--max-message-bytes", "SIGTERM");
    }
}
