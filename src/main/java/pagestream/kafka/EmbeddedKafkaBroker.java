package pagestream.kafka;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * An in-process Apache Kafka broker in KRaft mode (one node that is both broker and controller), so the service
 * runs with no external infrastructure while any Kafka client can still publish to {@code localhost:<port>}.
 *
 * <p>The log directory is kept across restarts: it is formatted only the first time, and the cluster id written
 * then (in {@code meta.properties}) is what the broker reuses afterwards, so topics, offsets and transactions survive.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedKafkaBroker.class);
    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;

    private final KafkaRaftServer server;
    private final Path logDir;
    private final int port;
    private final String clusterId;
    private final Optional<BrokerSecurity> security;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path logDir, int port, String clusterId,
            Optional<BrokerSecurity> security) {
        this.server = server;
        this.logDir = logDir;
        this.port = port;
        this.clusterId = clusterId;
        this.security = security;
    }

    /** A PLAINTEXT broker; see {@link #start(Path, int, int, Optional)}. */
    public static EmbeddedKafkaBroker start(Path logDir, int port, int maxMessageBytes) {
        return start(logDir, port, maxMessageBytes, Optional.empty());
    }

    /**
     * Starts a broker on {@code port} (0 = a free port) with its log in {@code logDir}, accepting messages of up to
     * {@code maxMessageBytes}; returns once the broker answers metadata requests. With {@code security} the client
     * listener is SASL_SSL (SCRAM-SHA-512) and its user is created (or its password reset) on the cluster before
     * the broker is reported ready; the controller listener stays PLAINTEXT on the loopback interface.
     */
    public static EmbeddedKafkaBroker start(Path logDir, int port, int maxMessageBytes,
            Optional<BrokerSecurity> security) {
        long started = System.nanoTime();
        try {
            Files.createDirectories(logDir);
            int brokerPort = port == 0 ? freePort() : port;
            int controllerPort = freePort();
            Properties props = brokerProperties(logDir, brokerPort, controllerPort, maxMessageBytes);
            security.ifPresent(s -> props.putAll(saslSslListener(brokerPort, controllerPort, s)));
            String clusterId = formatIfNeeded(logDir, security);
            KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
            try {
                server.startup();
            } catch (RuntimeException e) {
                server.shutdown();
                throw new IllegalStateException("The embedded Kafka broker cannot start on port " + brokerPort
                        + " (is another broker running there? set pagestream.embedded-kafka.port, or"
                        + " kafka.bootstrap.servers for an external broker): " + e.getMessage(), e);
            }
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, logDir, brokerPort, clusterId, security);
            broker.awaitReady();
            LOG.infof("Embedded Kafka broker (cluster %s) listening on %s (%s), log in %s, started in %d ms", clusterId,
                    broker.bootstrapServers(), security.isPresent() ? "SASL_SSL, SCRAM-SHA-512" : "PLAINTEXT", logDir,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the embedded Kafka broker in " + logDir, e);
        }
    }

    /** {@code localhost:<port>}: what clients use as {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "localhost:" + port;
    }

    /** Security settings a client needs besides {@code bootstrap.servers} (none for a PLAINTEXT broker). */
    public Map<String, Object> clientProperties() {
        return security.map(BrokerSecurity::clientProperties).orElse(Map.of());
    }

    public int port() {
        return port;
    }

    public String clusterId() {
        return clusterId;
    }

    public Path logDir() {
        return logDir;
    }

    /** Shuts the broker down cleanly (log flushed, clean-shutdown marker written) and waits for it. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        LOG.infof("Embedded Kafka broker on port %d stopped", port);
    }

    private static Properties brokerProperties(Path logDir, int brokerPort, int controllerPort, int maxMessageBytes) {
        // Room for the record batch header and headers around the largest accepted value.
        String maxBytes = Integer.toString(Math.addExact(maxMessageBytes, 1 << 20));
        Properties p = new Properties();
        p.putAll(Map.ofEntries(
                Map.entry("process.roles", "broker,controller"),
                Map.entry("node.id", Integer.toString(NODE_ID)),
                Map.entry("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort),
                Map.entry("listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort),
                Map.entry("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort),
                Map.entry("controller.listener.names", "CONTROLLER"),
                Map.entry("inter.broker.listener.name", "PLAINTEXT"),
                Map.entry("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
                Map.entry("log.dirs", logDir.toAbsolutePath().toString()),
                // One node: every internal topic has one replica, or the coordinators never become available.
                Map.entry("offsets.topic.replication.factor", "1"),
                Map.entry("offsets.topic.num.partitions", "1"),
                Map.entry("transaction.state.log.replication.factor", "1"),
                Map.entry("transaction.state.log.min.isr", "1"),
                Map.entry("transaction.state.log.num.partitions", "1"),
                Map.entry("share.coordinator.state.topic.replication.factor", "1"),
                Map.entry("share.coordinator.state.topic.min.isr", "1"),
                Map.entry("min.insync.replicas", "1"),
                Map.entry("default.replication.factor", "1"),
                // Without this a new consumer group waits 3 s for more members that never come.
                Map.entry("group.initial.rebalance.delay.ms", "0"),
                // Topics are created by the service with their settings; a typo must not create a topic.
                Map.entry("auto.create.topics.enable", "false"),
                // Page images and whole PDFs travel as single records.
                Map.entry("message.max.bytes", maxBytes),
                Map.entry("replica.fetch.max.bytes", maxBytes),
                Map.entry("replica.fetch.response.max.bytes", maxBytes),
                Map.entry("socket.request.max.bytes", Integer.toString(Math.max(104857600, Integer.parseInt(maxBytes) * 2))),
                // A small machine: fewer threads and a small compaction buffer than a production broker.
                Map.entry("num.network.threads", "2"),
                Map.entry("num.io.threads", "4"),
                Map.entry("background.threads", "4"),
                Map.entry("log.cleaner.threads", "1"),
                Map.entry("log.cleaner.dedupe.buffer.size", Integer.toString(16 << 20))));
        return p;
    }

    /**
     * The client listener as SASL_SSL, which is also the inter-broker listener (the broker authenticates as the
     * configured user; its certificate is self-signed or issued by a CA in the same key store, so the key store
     * serves as its trust store too).
     */
    private static Map<String, String> saslSslListener(int brokerPort, int controllerPort, BrokerSecurity s) {
        String keyStore = s.keyStore().toAbsolutePath().toString();
        return Map.ofEntries(
                Map.entry("listeners", "SASL_SSL://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort),
                Map.entry("advertised.listeners", "SASL_SSL://" + HOST + ":" + brokerPort),
                Map.entry("inter.broker.listener.name", "SASL_SSL"),
                Map.entry("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT"),
                Map.entry("sasl.enabled.mechanisms", BrokerSecurity.MECHANISM),
                Map.entry("sasl.mechanism.inter.broker.protocol", BrokerSecurity.MECHANISM),
                Map.entry("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                        BrokerSecurity.jaasConfig(s.username(), s.password())),
                Map.entry("ssl.keystore.location", keyStore),
                Map.entry("ssl.keystore.type", s.keyStoreType()),
                Map.entry("ssl.keystore.password", s.keyStorePassword()),
                Map.entry("ssl.key.password", s.keyStorePassword()),
                Map.entry("ssl.truststore.location", keyStore),
                Map.entry("ssl.truststore.type", s.keyStoreType()),
                Map.entry("ssl.truststore.password", s.keyStorePassword()));
    }

    /**
     * Formats the log directory the first time, with the SCRAM user when the listener is SASL_SSL (KRaft creates
     * SCRAM users at format time, like {@code kafka-storage format --add-scram}: the SASL listener cannot be used to
     * create the first one, and controllers do not take that admin call). Afterwards reads the cluster id it was
     * formatted with; the user stays what it was then.
     */
    private static String formatIfNeeded(Path logDir, Optional<BrokerSecurity> security) throws IOException {
        Path meta = logDir.resolve("meta.properties");
        if (Files.exists(meta)) {
            Properties existing = new Properties();
            try (InputStream in = Files.newInputStream(meta)) {
                existing.load(in);
            }
            String clusterId = existing.getProperty("cluster.id");
            if (clusterId == null) {
                throw new IllegalStateException(meta + " has no cluster.id: the Kafka log directory is damaged");
            }
            return clusterId;
        }
        String clusterId = Uuid.randomUuid().toString();
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
                    .setClusterId(clusterId)
                    .setNodeId(NODE_ID)
                    .setControllerListenerName("CONTROLLER")
                    .setMetadataLogDirectory(logDir.toAbsolutePath().toString())
                    .addDirectory(logDir.toAbsolutePath().toString())
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setScramArguments(security.map(s -> List.of(s.formatterScramArgument())).orElse(List.of()))
                    .run();
        } catch (Exception e) {
            // Not e.getMessage(): a SCRAM argument the formatter cannot parse would be quoted, password included.
            throw new IllegalStateException("Cannot format the Kafka log directory " + logDir + ": "
                    + e.getClass().getSimpleName(), e);
        }
        return clusterId;
    }

    private void awaitReady() {
        Map<String, Object> config = new HashMap<>(clientProperties());
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        try (Admin admin = Admin.create(config)) {
            admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            close();
            throw new IllegalStateException("The embedded Kafka broker did not come up on " + bootstrapServers()
                    + (security.isPresent() ? " (its SCRAM user is created when " + logDir + " is first formatted:"
                    + " delete that directory if the user or password changed since)" : ""), e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        }
    }
}
