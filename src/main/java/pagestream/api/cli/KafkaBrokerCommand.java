package pagestream.api.cli;

import pagestream.kafka.EmbeddedKafkaBroker;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code kafka-broker}: the service's in-process Apache Kafka broker (KRaft, one node) as a foreground process of
 * its own, for a local broker without Docker that outlives the service — several service instances, a service
 * killed and restarted against the same broker, or a broker restarted under a running service.
 *
 * <p>It prints one {@code ready bootstrap.servers=...} line once clients can connect, and stops cleanly (log
 * flushed, clean-shutdown marker written) on SIGTERM or Ctrl-C. The log directory is kept: a broker restarted on
 * the same {@code --data-dir} has the same cluster id, topics, offsets and transactions.
 */
public final class KafkaBrokerCommand extends ArgumentCommand {

    static final String READY = "ready bootstrap.servers=";
    /** The service's default page limit (50 MiB), the largest record the broker must accept for it. */
    private static final int DEFAULT_MAX_MESSAGE_BYTES = 52428800;

    public KafkaBrokerCommand() {
        super(Set.of("port", "data-dir", "max-message-bytes"), Set.of());
    }

    @Override
    public String name() {
        return "kafka-broker";
    }

    @Override
    public String usage() {
        return """
                kafka-broker [--port 9092] [--data-dir ./data/kafka]   a local Kafka broker in the foreground (stop: SIGTERM / Ctrl-C)
                  --port P                listener port on 127.0.0.1 (default 9092; 0 = a free port)
                  --data-dir DIR          broker log directory, kept across restarts (default ./data/kafka)
                  --max-message-bytes N   largest record value accepted (default 52428800, the service's page limit)
                """;
    }

    @Override
    int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        if (!args.positionals().isEmpty()) {
            throw new UsageException("unexpected arguments " + args.positionals());
        }
        int port = args.intValue("port", 9092, 0, 65535);
        Path dataDir = Path.of(args.value("data-dir").orElse("./data/kafka"));
        int maxMessageBytes = args.intValue("max-message-bytes", DEFAULT_MAX_MESSAGE_BYTES, 1024, 1 << 30);

        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, port, maxMessageBytes);
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM runs the shutdown hooks while this thread waits below: the broker closes there, then the JVM exits.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            err.println("kafka-broker: stopped");
            stopped.countDown();
        }, "kafka-broker-shutdown"));
        out.println(READY + broker.bootstrapServers() + " cluster.id=" + broker.clusterId()
                + " log.dir=" + broker.logDir().toAbsolutePath());
        out.flush();
        stopped.await();
        return 0;
    }
}
