package pagestream.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedKafkaBrokerTest {

    private static final int MAX_MESSAGE_BYTES = 8 << 20;

    @TempDir
    Path dataDir;

    @Test
    void largeRecordSurvivesRestartWithTheSameClusterId() throws Exception {
        byte[] page = new byte[6 << 20];
        new Random(7).nextBytes(page);
        String clusterId;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0, MAX_MESSAGE_BYTES)) {
            clusterId = broker.clusterId();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                List<NewTopic> topics = List.of(new NewTopic("pages", 1, (short) 1)
                        .configs(Map.of("max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES + (1 << 20)))));
                admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
            }
            try (var producer = new KafkaProducer<String, byte[]>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_MESSAGE_BYTES + (1 << 20),
                    ProducerConfig.BUFFER_MEMORY_CONFIG, 4L * MAX_MESSAGE_BYTES),
                    new StringSerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>("pages", "doc-1", page)).get(30, TimeUnit.SECONDS);
            }
        }

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0, MAX_MESSAGE_BYTES)) {
            assertThat(broker.clusterId()).isEqualTo(clusterId);
            List<ConsumerRecord<String, byte[]>> records = readAll(broker.bootstrapServers(), "pages", 1);
            assertThat(records).hasSize(1);
            assertThat(records.get(0).key()).isEqualTo("doc-1");
            assertThat(records.get(0).value()).isEqualTo(page);
        }
    }

    @Test
    void busyPortIsAClearError() {
        try (EmbeddedKafkaBroker first = EmbeddedKafkaBroker.start(dataDir.resolve("a"), 0, MAX_MESSAGE_BYTES)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> EmbeddedKafkaBroker.start(dataDir.resolve("b"), first.port(), MAX_MESSAGE_BYTES))
                    .hasMessageContaining("port " + first.port())
                    .hasMessageContaining("kafka.bootstrap.servers");
        }
    }

    static List<ConsumerRecord<String, byte[]>> readAll(String bootstrap, String topic, int expected) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (var consumer = new KafkaConsumer<String, byte[]>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
