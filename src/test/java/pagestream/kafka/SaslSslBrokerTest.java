package pagestream.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.store.qdrant.SelfSignedCertificate;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The embedded broker with a SASL_SSL listener (SCRAM-SHA-512, a self-signed certificate): clients configured with
 * the standard Kafka security properties — trusting the certificate's PEM, as a user trusts a cluster CA — produce
 * and consume; a wrong password and a plaintext client are refused.
 */
class SaslSslBrokerTest {

    private static final String USER = "pagestream";
    private static final String PASSWORD = "scram-pa$$word \"quoted\" \\ with=signs";

    @TempDir
    static Path dir;

    private static SelfSignedCertificate cert;
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void start() throws Exception {
        cert = SelfSignedCertificate.create(dir);
        broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, 1 << 20, Optional.of(
                new BrokerSecurity(cert.keyStore(), "PKCS12", cert.keyStorePassword(), USER, PASSWORD)));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    /** What a user sets under {@code kafka.*}: the protocol, the mechanism, the JAAS line and the CA's PEM. */
    private static Map<String, Object> client(String password) {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", broker.bootstrapServers());
        config.put("security.protocol", "SASL_SSL");
        config.put("sasl.mechanism", "SCRAM-SHA-512");
        config.put("sasl.jaas.config", BrokerSecurity.jaasConfig(USER, password));
        config.put("ssl.truststore.type", "PEM");
        config.put("ssl.truststore.location", cert.certificatePem().toString());
        return config;
    }

    @Test
    void theRightCredentialsProduceAndConsume() throws Exception {
        try (Admin admin = Admin.create(client(PASSWORD))) {
            admin.createTopics(List.of(new NewTopic("secured", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> producerConfig = client(PASSWORD);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        try (var producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("secured", "k", "over TLS")).get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> consumerConfig = client(PASSWORD);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "sasl-test");
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("secured"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            ConsumerRecords<String, String> records = ConsumerRecords.empty();
            while (records.isEmpty() && System.nanoTime() < deadline) {
                records = consumer.poll(Duration.ofMillis(200));
            }
            assertThat(records.iterator().next().value()).isEqualTo("over TLS");
        }
    }

    @Test
    void aWrongPasswordIsRefused() {
        try (Admin admin = Admin.create(client("not-the-password"))) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(SaslAuthenticationException.class)
                    .cause().hasMessageContaining("invalid credentials");
        }
    }

    @Test
    void aPlaintextClientGetsNothing() {
        Map<String, Object> plain = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
        try (Admin admin = Admin.create(plain)) {
            assertThatThrownBy(() -> admin.listTopics().names().get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class);
        }
    }
}
