package pagestream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.apache.kafka.clients.admin.NewTopic;
import pagestream.PageStreamConfig;
import pagestream.kafka.PageStreamTopics;
import pagestream.stream.PageStreamTopology;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static pagestream.deploy.Manifests.CONTAINER;
import static pagestream.deploy.Manifests.container;
import static pagestream.deploy.Manifests.effective;
import static pagestream.deploy.Manifests.env;
import static pagestream.deploy.Manifests.one;
import static pagestream.deploy.Manifests.ofKind;
import static pagestream.deploy.Manifests.podSpec;

/** The manifests against the app: names, partitions, ACLs, probes, ports and every setting they pass in. */
class ManifestAppConsistencyTest {

    /** Per the event contract: the app consumes these two topics and produces to the others. */
    private static final Set<String> INPUT_TOPIC_PROPERTIES = Set.of("pagestream.topics.pages", "pagestream.topics.queries");

    /** The Hugging Face variables the app's hub client reads (string literals of its environment lookups). */
    private static final Set<String> HUB_ENV = hubEnvironment();

    private static Set<String> hubEnvironment() {
        Set<String> names = new HashSet<>();
        Matcher m = Pattern.compile("env\\.get\\(\"(HF_[A-Z_]+)\"\\)").matcher(Repo.read("src/main/java/pagestream/model/hub/HubOptions.java"));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static final List<ObjectNode> GPU = Manifests.overlay("gpu");
    private static final List<ObjectNode> CPU = Manifests.overlay("cpu");
    private static final List<JsonNode> KAFKA = Manifests.kafka();

    private static List<ObjectNode> overlay(String name) {
        return name.equals("gpu") ? GPU : CPU;
    }

    /** Topic property → topic name, as the app resolves it in the deployed pod. */
    private static Map<String, String> topics(List<ObjectNode> overlay) {
        Map<String, String> topics = new LinkedHashMap<>();
        AppConfig.topicProperties().forEach(p -> topics.put(p, effective(overlay, p)));
        return topics;
    }

    private static JsonNode topic(String name) {
        return KAFKA.stream().filter(t -> t.path("kind").asText().equals("KafkaTopic"))
                .filter(t -> t.path("spec").path("topicName").asText(t.path("metadata").path("name").asText()).equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no KafkaTopic for " + name));
    }

    private static long topicLong(String topic, String config) {
        return topic(topic).path("spec").path("config").path(config).asLong(-1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void kafkaTopicsAreExactlyTheAppsTopicsWithItsPartitionsAndReplication(String name) {
        List<ObjectNode> overlay = overlay(name);
        assertThat(AppConfig.topicProperties()).hasSize(5);
        List<JsonNode> declared = ofKind(KAFKA, "KafkaTopic");
        assertThat(declared).extracting(t -> t.path("spec").path("topicName").asText(t.path("metadata").path("name").asText()))
                .containsExactlyInAnyOrderElementsOf(topics(overlay).values());
        int partitions = Integer.parseInt(effective(overlay, "pagestream.topics.partitions"));
        int replicas = Integer.parseInt(effective(overlay, "pagestream.topics.replication-factor"));
        for (JsonNode topic : declared) {
            assertThat(topic.path("spec").path("partitions").asInt()).as(topic.path("metadata").path("name").asText()).isEqualTo(partitions);
            assertThat(topic.path("spec").path("replicas").asInt()).isEqualTo(replicas);
            assertThat(topic.path("spec").path("config").path("min.insync.replicas").asInt()).isBetween(1, replicas - 1);
        }
    }

    @Test
    void topicsCarryTheLargestEventsTheAppAcceptsAndKeepWhatEachTopicIsFor() {
        Map<String, String> topics = topics(GPU);
        long maxPage = Long.parseLong(effective(GPU, "pagestream.limits.max-message-bytes"));
        long maxQuery = Long.parseLong(effective(GPU, "pagestream.limits.max-query-bytes"));
        long recordOverhead = 1024; // batch header, key and headers around the largest value
        for (String pageTopic : List.of(topics.get("pagestream.topics.pages"), topics.get("pagestream.topics.pages-dlq"))) {
            assertThat(topicLong(pageTopic, "max.message.bytes")).as(pageTopic).isGreaterThanOrEqualTo(maxPage + recordOverhead);
        }
        for (String queryTopic : List.of(topics.get("pagestream.topics.queries"), topics.get("pagestream.topics.queries-dlq"))) {
            assertThat(topicLong(queryTopic, "max.message.bytes")).as(queryTopic).isGreaterThanOrEqualTo(maxQuery + recordOverhead);
        }
        // The app's producer writes dead letters as large as page events.
        long producerMax = Long.parseLong(AppConfig.setting(Manifests.mountedConfig(GPU), "kafka-streams.producer.max.request.size"));
        assertThat(producerMax).isGreaterThanOrEqualTo(topicLong(topics.get("pagestream.topics.pages-dlq"), "max.message.bytes"));
        // Pages: the corpus, compacted by document so a new model version can replay it. Queries and replies: short-lived.
        assertThat(topic(topics.get("pagestream.topics.pages")).path("spec").path("config").path("cleanup.policy").asText()).contains("compact");
        for (String shortLived : List.of(topics.get("pagestream.topics.queries"), topics.get("pagestream.topics.replies"))) {
            assertThat(topicLong(shortLived, "retention.ms")).as(shortLived).isBetween(60_000L, Duration.ofDays(1).toMillis());
        }
    }

    @Test
    void strimziTopicsAreAtLeastWhatTheAppWouldCreateItself() {
        PageStreamConfig.Topics topics = (PageStreamConfig.Topics) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {PageStreamConfig.Topics.class}, (proxy, method, args) -> {
                    String value = effective(GPU, "pagestream.topics." + ConfigMappingProperties.kebab(method.getName()));
                    return method.getReturnType() == int.class ? Integer.valueOf(value)
                            : method.getReturnType() == short.class ? (Object) Short.valueOf(value) : value;
                });
        int maxMessageBytes = Integer.parseInt(effective(GPU, "pagestream.limits.max-message-bytes"));
        List<NewTopic> wanted = PageStreamTopics.required(topics, maxMessageBytes);
        assertThat(wanted).hasSize(ofKind(KAFKA, "KafkaTopic").size());
        for (NewTopic appTopic : wanted) {
            JsonNode spec = topic(appTopic.name()).path("spec");
            assertThat(spec.path("partitions").asInt()).as(appTopic.name()).isEqualTo(appTopic.numPartitions());
            assertThat((short) spec.path("replicas").asInt()).isEqualTo(appTopic.replicationFactor());
            appTopic.configs().forEach((key, value) -> {
                if (key.equals("max.message.bytes")) {
                    assertThat(spec.path("config").path(key).asLong()).as(appTopic.name() + " " + key).isGreaterThanOrEqualTo(Long.parseLong(value));
                } else {
                    assertThat(spec.path("config").path(key).asText()).as(appTopic.name() + " " + key).isEqualTo(value);
                }
            });
        }
    }

    @Test
    void kafkaUserAclsAllowExactlyTheAppsTopicsGroupAndStreamsInternals() {
        String appId = AppConfig.applicationId();
        assertThat(appId).isEqualTo("pagestream");
        JsonNode user = ofKind(KAFKA, "KafkaUser").get(0);
        assertThat(ofKind(KAFKA, "KafkaUser")).hasSize(1);

        Set<String> expected = new HashSet<>();
        topics(GPU).values().forEach(t -> expected.add("topic literal " + t));
        expected.add("topic prefix " + appId + "-");
        expected.add("group literal " + appId);
        // The query application's group (its internal topics and transactional ids share the prefix above).
        String queryGroup = PageStreamTopology.queryApplicationId(appId);
        expected.add("group literal " + queryGroup);
        // Exactly-once processing writes in transactions whose ids start with the application id.
        if (AppConfig.setting(Manifests.mountedConfig(GPU), "kafka-streams.processing.guarantee").startsWith("exactly_once")) {
            expected.add("transactionalId prefix " + appId + "-");
        }
        Map<String, Set<String>> granted = new LinkedHashMap<>();
        for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
            JsonNode r = acl.path("resource");
            String resource = r.path("type").asText() + " " + r.path("patternType").asText("literal") + " " + r.path("name").asText();
            Set<String> ops = new HashSet<>();
            acl.path("operations").forEach(op -> ops.add(op.asText()));
            assertThat(granted.put(resource, ops)).as("one rule per resource: " + resource).isNull();
        }
        assertThat(granted.keySet()).containsExactlyInAnyOrderElementsOf(expected);

        topics(GPU).forEach((property, topic) -> {
            Set<String> ops = granted.get("topic literal " + topic);
            if (INPUT_TOPIC_PROPERTIES.contains(property)) {
                assertThat(ops).as(topic).contains("Read", "Describe").doesNotContain("Write", "Delete", "All");
            } else {
                assertThat(ops).as(topic).contains("Write", "Describe").doesNotContain("Read", "Delete", "All");
            }
        });
        assertThat(granted.get("group literal " + appId)).containsExactlyInAnyOrder("Read", "Describe");
        assertThat(granted.get("group literal " + queryGroup)).containsExactlyInAnyOrder("Read", "Describe");
        assertThat(granted.get("topic prefix " + appId + "-")).contains("Create", "Read", "Write", "Delete").doesNotContain("All");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void kafkaConnectionUsesTheKafkaUsersSecretAndTheClustersCa(String name) {
        List<ObjectNode> overlay = overlay(name);
        JsonNode user = ofKind(KAFKA, "KafkaUser").get(0);
        String userName = user.path("metadata").path("name").asText();
        String cluster = user.path("metadata").path("labels").path("strimzi.io/cluster").asText();
        ofKind(KAFKA, "KafkaTopic").forEach(t ->
                assertThat(t.path("metadata").path("labels").path("strimzi.io/cluster").asText()).isEqualTo(cluster));
        assertThat(user.path("spec").path("authentication").path("type").asText()).isEqualTo("scram-sha-512");

        Properties config = Manifests.mountedConfig(overlay);
        Map<String, String> env = env(container(overlay, CONTAINER));
        String bootstrap = cluster + "-kafka-bootstrap:9093";
        assertThat(config.getProperty("kafka.bootstrap.servers")).isEqualTo(bootstrap);
        assertThat(config.getProperty("quarkus.kafka-streams.bootstrap-servers")).isEqualTo(bootstrap);
        assertThat(config.getProperty("kafka-streams.security.protocol")).isEqualTo("SASL_SSL");
        assertThat(config.getProperty("kafka-streams.sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
        assertThat(config.getProperty("kafka-streams.sasl.jaas.config"))
                .contains("username=\"${KAFKA_USERNAME}\"").contains("password=\"${KAFKA_PASSWORD}\"");
        for (String key : List.of("security.protocol", "sasl.mechanism", "sasl.jaas.config", "ssl.truststore.type", "ssl.truststore.location")) {
            assertThat(config.getProperty("kafka." + key)).as("the admin client connects like Kafka Streams: " + key)
                    .isEqualTo(config.getProperty("kafka-streams." + key));
        }
        assertThat(env).containsEntry("KAFKA_USERNAME", userName).containsEntry("KAFKA_PASSWORD", "secret:" + userName + "/password");

        // The truststore file is the cluster CA Secret's ca.crt, mounted where the config says.
        String truststore = config.getProperty("kafka-streams.ssl.truststore.location");
        JsonNode caVolume = volume(overlay, cluster + "-cluster-ca-cert");
        String mountPath = mountPath(container(overlay, CONTAINER), caVolume.path("name").asText());
        assertThat(truststore).isEqualTo(mountPath + "/" + caVolume.path("secret").path("items").get(0).path("path").asText());
        assertThat(caVolume.path("secret").path("items").get(0).path("key").asText()).isEqualTo("ca.crt");
    }

    private static JsonNode volume(List<ObjectNode> overlay, String secretOrClaim) {
        for (JsonNode v : podSpec(overlay).path("volumes")) {
            if (v.path("secret").path("secretName").asText().equals(secretOrClaim)
                    || v.path("persistentVolumeClaim").path("claimName").asText().equals(secretOrClaim)
                    || v.path("configMap").path("name").asText().equals(secretOrClaim)) {
                return v;
            }
        }
        throw new AssertionError("no volume for " + secretOrClaim);
    }

    private static String mountPath(JsonNode container, String volume) {
        for (JsonNode m : container.path("volumeMounts")) {
            if (m.path("name").asText().equals(volume)) {
                return m.path("mountPath").asText();
            }
        }
        throw new AssertionError(container.path("name").asText() + " does not mount " + volume);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void kedaScalesTheDeploymentOnThePagesLagOfTheAppsGroup(String name) {
        List<ObjectNode> overlay = overlay(name);
        JsonNode scaled = one(overlay, "ScaledObject", Manifests.DEPLOYMENT).path("spec");
        assertThat(scaled.path("scaleTargetRef").path("name").asText()).isEqualTo(Manifests.DEPLOYMENT);
        int partitions = Integer.parseInt(effective(overlay, "pagestream.topics.partitions"));
        assertThat(scaled.path("minReplicaCount").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(scaled.path("maxReplicaCount").asInt()).as("replicas beyond partitions idle").isBetween(1, partitions);

        JsonNode trigger = scaled.path("triggers").get(0);
        assertThat(scaled.path("triggers")).hasSize(1);
        assertThat(trigger.path("type").asText()).isEqualTo("kafka");
        JsonNode metadata = trigger.path("metadata");
        assertThat(metadata.path("consumerGroup").asText()).isEqualTo(AppConfig.applicationId());
        assertThat(metadata.path("topic").asText()).isEqualTo(effective(overlay, "pagestream.topics.pages"));
        assertThat(metadata.path("bootstrapServers").asText()).isEqualTo(Manifests.mountedConfig(overlay).getProperty("kafka.bootstrap.servers"));
        Set<String> knownKeys = new HashSet<>();
        Schemas.KEDA.path("kafkaTriggerMetadata").path("keys").forEach(k -> knownKeys.add(k.asText()));
        metadata.fieldNames().forEachRemaining(k -> assertThat(knownKeys).as("Kafka scaler parameter").contains(k));
        assertThat(Long.parseLong(metadata.path("lagThreshold").asText())).isPositive();

        JsonNode auth = one(overlay, "TriggerAuthentication", trigger.path("authenticationRef").path("name").asText()).path("spec");
        Map<String, String> containerEnv = env(container(overlay, CONTAINER));
        for (JsonNode ref : auth.path("env")) {
            assertThat(ref.path("containerName").asText()).isEqualTo(CONTAINER);
            assertThat(containerEnv).containsKey(ref.path("name").asText());
        }
        Map<String, String> secrets = new LinkedHashMap<>();
        auth.path("secretTargetRef").forEach(r -> secrets.put(r.path("parameter").asText(), r.path("name").asText() + "/" + r.path("key").asText()));
        assertThat(secrets.get("password")).isEqualTo(containerEnv.get("KAFKA_PASSWORD").substring("secret:".length()));
        assertThat(secrets.get("ca")).endsWith("-cluster-ca-cert/ca.crt");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void probesServiceAndServiceMonitorUseTheAppsRealEndpoints(String name) {
        List<ObjectNode> overlay = overlay(name);
        JsonNode app = container(overlay, CONTAINER);
        int port = Integer.parseInt(effective(overlay, "quarkus.http.port"));
        assertThat(app.path("ports")).singleElement().satisfies(p -> {
            assertThat(p.path("name").asText()).isEqualTo("http");
            assertThat(p.path("containerPort").asInt()).isEqualTo(port);
        });
        Map<String, String> probes = Map.of("startupProbe", "started", "livenessProbe", "live", "readinessProbe", "ready");
        probes.forEach((probe, kind) -> {
            JsonNode get = app.path(probe).path("httpGet");
            assertThat(get.path("path").asText()).as(probe).isEqualTo(AppEndpoints.health(kind));
            assertThat(get.path("port").asText()).as(probe).isIn("http", String.valueOf(port));
        });
        JsonNode startup = app.path("startupProbe");
        assertThat(startup.path("periodSeconds").asInt() * startup.path("failureThreshold").asInt())
                .as("model loading takes minutes on first start").isGreaterThanOrEqualTo(600);

        JsonNode service = one(overlay, "Service", Manifests.DEPLOYMENT).path("spec");
        JsonNode podLabels = one(overlay, "Deployment", Manifests.DEPLOYMENT).path("spec").path("template").path("metadata").path("labels");
        service.path("selector").fields().forEachRemaining(e -> assertThat(podLabels.path(e.getKey())).isEqualTo(e.getValue()));
        one(overlay, "PodDisruptionBudget", Manifests.DEPLOYMENT).path("spec").path("selector").path("matchLabels").fields()
                .forEachRemaining(e -> assertThat(podLabels.path(e.getKey())).isEqualTo(e.getValue()));
        JsonNode servicePort = service.path("ports").get(0);
        assertThat(servicePort.path("targetPort").asText()).isEqualTo("http");

        JsonNode monitor = one(overlay, "ServiceMonitor", Manifests.DEPLOYMENT).path("spec");
        JsonNode serviceLabels = one(overlay, "Service", Manifests.DEPLOYMENT).path("metadata").path("labels");
        monitor.path("selector").path("matchLabels").fields()
                .forEachRemaining(e -> assertThat(serviceLabels.path(e.getKey())).isEqualTo(e.getValue()));
        JsonNode endpoint = monitor.path("endpoints").get(0);
        assertThat(endpoint.path("port").asText()).isEqualTo(servicePort.path("name").asText());
        assertThat(endpoint.path("path").asText()).isEqualTo(AppEndpoints.metrics());
    }

    @Test
    void alertsUseMetricsTheAppExportsAndItsTopicsAndGroup() {
        // Prometheus names of the app's meters, from their builders in pagestream.api.Metrics.
        Set<String> exported = new HashSet<>();
        Matcher meter = Pattern.compile("(Counter|Timer|DistributionSummary|Gauge)\\.builder\\(\"([a-z.]+)\"")
                .matcher(Repo.read("src/main/java/pagestream/api/Metrics.java"));
        while (meter.find()) {
            String base = meter.group(2).replace('.', '_');
            switch (meter.group(1)) {
                case "Counter" -> exported.add(base + "_total");
                case "Timer" -> List.of("_seconds_bucket", "_seconds_sum", "_seconds_count", "_seconds_max").forEach(x -> exported.add(base + x));
                case "DistributionSummary" -> List.of("_bucket", "_sum", "_count", "_max").forEach(x -> exported.add(base + x));
                default -> exported.add(base);
            }
        }
        assertThat(exported).contains("pagestream_pages_ingested_total", "pagestream_dlq_total");
        JsonNode rule = one(GPU, "PrometheusRule", Manifests.DEPLOYMENT);
        String appId = AppConfig.applicationId();
        String pagesTopic = effective(GPU, "pagestream.topics.pages");
        for (JsonNode group : rule.path("spec").path("groups")) {
            for (JsonNode alert : group.path("rules")) {
                String expr = alert.path("expr").asText();
                Matcher used = Pattern.compile("\\bpagestream_[a-z_]+").matcher(expr);
                while (used.find()) {
                    assertThat(exported).as(alert.path("alert").asText() + " uses " + used.group()).contains(used.group());
                }
                assertThat(expr).as("jobs are named after the Service the ServiceMonitor scrapes")
                        .doesNotContainPattern("job=\"(?!" + Manifests.DEPLOYMENT + "\")");
                Matcher groupLabel = Pattern.compile("consumergroup=\"([^\"]+)\"").matcher(expr);
                while (groupLabel.find()) {
                    assertThat(groupLabel.group(1)).isEqualTo(appId);
                }
                Matcher topicLabel = Pattern.compile("topic=\"([^\"]+)\"").matcher(expr);
                while (topicLabel.find()) {
                    assertThat(topicLabel.group(1)).isEqualTo(pagesTopic);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everySettingThePodGetsIsARealPropertyOfTheApp(String name) {
        List<ObjectNode> overlay = overlay(name);
        Properties config = Manifests.mountedConfig(overlay);
        for (String key : config.stringPropertyNames()) {
            assertThat(AppConfig.checkProperty(key, config.getProperty(key))).as(key).isEmpty();
        }
        Set<String> referencedByConfig = new HashSet<>();
        Matcher ref = Pattern.compile("\\$\\{([A-Z0-9_]+)}").matcher(String.join("\n", config.stringPropertyNames().stream().map(config::getProperty).toList()));
        while (ref.find()) {
            referencedByConfig.add(ref.group(1));
        }
        Map<String, String> knownEnv = new LinkedHashMap<>();
        AppConfig.PAGESTREAM.values().forEach(p -> knownEnv.put(p.envName(), p.name()));
        AppConfig.QUARKUS.values().forEach(p -> knownEnv.put(p.envName(), p.name()));
        for (String containerName : List.of(CONTAINER, "download-model")) {
            JsonNode c = container(overlay, containerName);
            Map<String, String> env = env(c);
            for (Map.Entry<String, String> var : env.entrySet()) {
                String property = knownEnv.get(var.getKey());
                boolean usedByConfigFile = containerName.equals(CONTAINER) && referencedByConfig.contains(var.getKey());
                assertThat(property != null || usedByConfigFile || HUB_ENV.contains(var.getKey()))
                        .as(containerName + ": " + var.getKey() + " maps to no property of the app, no ${...} of its config"
                                + " file and no variable the hub client reads").isTrue();
                if (property != null) {
                    assertThat(config.containsKey(property)).as(property + " set twice (env and config file)").isFalse();
                    if (!var.getValue().contains(":") || property.endsWith("timeout")) {
                        assertThat(AppConfig.checkProperty(property, var.getValue())).as(var.getKey()).isEmpty();
                    }
                }
            }
            assertThat(referencedByConfig).allSatisfy(v -> assertThat(env(container(overlay, CONTAINER))).containsKey(v));
        }
        // The Qdrant API key comes from a Secret, not from the config file.
        assertThat(env(container(overlay, CONTAINER)).get("PAGESTREAM_STORE_QDRANT_API_KEY")).startsWith("secret:");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void shutdownFinishesTheBatchInFlightWithinTheGracePeriod(String name) {
        List<ObjectNode> overlay = overlay(name);
        Duration shutdown = Duration.parse(effective(overlay, "quarkus.shutdown.timeout"));
        int grace = podSpec(overlay).path("terminationGracePeriodSeconds").asInt();
        assertThat(shutdown.toSeconds()).isPositive();
        assertThat(grace).as("grace period leaves time after the app's own shutdown timeout").isGreaterThan((int) shutdown.toSeconds() + 10);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void kafkaStreamsStateLivesOnTheDataVolume(String name) {
        List<ObjectNode> overlay = overlay(name);
        String dataDir = Dockerfiles.finalStageEnv(name.equals("gpu") ? "docker/Dockerfile.cuda" : "docker/Dockerfile.cpu")
                .get("PAGESTREAM_DATA_DIR");
        String stateDir = AppConfig.setting(Manifests.mountedConfig(overlay), "kafka-streams.state.dir")
                .replace("${pagestream.data-dir:./data}", dataDir);
        JsonNode data = null;
        for (JsonNode v : podSpec(overlay).path("volumes")) {
            if (v.has("emptyDir") && stateDir.startsWith(mountPath(container(overlay, CONTAINER), v.path("name").asText()) + "/")) {
                data = v;
            }
        }
        assertThat(data).as("state dir " + stateDir + " on an emptyDir (the root filesystem is read-only)").isNotNull();
        assertThat(container(overlay, CONTAINER).path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
    }

    @Test
    void gpuOverlayRunsOneReplicaPerGpuOnGpuNodes() {
        JsonNode pod = podSpec(GPU);
        JsonNode app = container(GPU, CONTAINER);
        assertThat(app.path("resources").path("limits").path("nvidia.com/gpu").asText()).isEqualTo("1");
        assertThat(app.path("resources").path("requests").path("nvidia.com/gpu").asText("1")).isEqualTo("1");
        assertThat(pod.path("nodeSelector").size()).isPositive();
        assertThat(pod.path("tolerations")).anySatisfy(t -> assertThat(t.path("key").asText()).isEqualTo("nvidia.com/gpu"));
        assertThat(app.path("image").asText()).contains("cuda");
        assertThat(effective(GPU, "pagestream.device")).isEqualTo("cuda");
        // A surge pod would wait for a GPU that the old pod still holds.
        assertThat(one(GPU, "Deployment", Manifests.DEPLOYMENT).path("spec").path("strategy").path("rollingUpdate").path("maxSurge").asInt()).isZero();

        JsonNode cpuApp = container(CPU, CONTAINER);
        assertThat(cpuApp.path("resources").path("limits").has("nvidia.com/gpu")).isFalse();
        assertThat(podSpec(CPU).has("nodeSelector")).isFalse();
        assertThat(effective(CPU, "pagestream.device")).isEqualTo("cpu");
        for (List<ObjectNode> overlay : List.of(GPU, CPU)) {
            JsonNode resources = container(overlay, CONTAINER).path("resources");
            assertThat(resources.path("requests").has("cpu") && resources.path("requests").has("memory")).isTrue();
            assertThat(resources.path("limits").has("memory")).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void theModelComesFromAPvcThatTheAppsDownloadCommandFills(String name) {
        List<ObjectNode> overlay = overlay(name);
        JsonNode init = container(overlay, "download-model");
        JsonNode app = container(overlay, CONTAINER);
        assertThat(init.path("image").asText()).isEqualTo(app.path("image").asText());
        List<String> args = new java.util.ArrayList<>();
        init.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args).containsExactly("download", "--model", "$(PAGESTREAM_MODEL)");
        assertThat(env(init).get("PAGESTREAM_MODEL")).isEqualTo(env(app).get("PAGESTREAM_MODEL")).startsWith("configmap:");
        JsonNode models = volume(overlay, "pagestream-models");
        String hfHome = Dockerfiles.finalStageEnv("docker/Dockerfile.cpu").get("HF_HOME");
        assertThat(hfHome).startsWith(mountPath(init, models.path("name").asText()) + "/");
        assertThat(hfHome).startsWith(mountPath(app, models.path("name").asText()) + "/");
        assertThat(ofKind(overlay, "PersistentVolumeClaim")).singleElement()
                .satisfies(pvc -> assertThat(pvc.path("spec").path("accessModes").toString()).contains("ReadWriteMany"));
    }

    @Test
    void qdrantValuesMatchTheAppsCollectionSettingsAndSecret() {
        JsonNode values = Repo.documents(Repo.path("k8s/qdrant/values.yaml")).get(0);
        JsonNode fields = Schemas.resource("/deploy/qdrant-chart-values.fields.json").path("values");
        List<String> problems = QdrantValues.check(values, fields);
        assertThat(problems).isEmpty();

        int nodes = values.path("replicaCount").asInt();
        assertThat(values.path("config").path("cluster").path("enabled").asBoolean()).as("distributed mode").isTrue();
        assertThat(nodes).isGreaterThanOrEqualTo(3);
        int shards = Integer.parseInt(effective(GPU, "pagestream.store.qdrant.shard-number"));
        int replication = Integer.parseInt(effective(GPU, "pagestream.store.qdrant.replication-factor"));
        int writeConsistency = Integer.parseInt(effective(GPU, "pagestream.store.qdrant.write-consistency-factor"));
        assertThat(shards).as("every node holds shards").isGreaterThanOrEqualTo(nodes);
        assertThat(replication).as("a lost node loses no shard").isBetween(2, nodes);
        assertThat(writeConsistency).isBetween(1, replication);
        assertThat(effective(GPU, "pagestream.store.type")).isEqualTo("qdrant");
        assertThat(Repo.read("k8s/qdrant/values.yaml")).contains("helm install " + effective(GPU, "pagestream.store.qdrant.host") + " ");
        assertThat(effective(GPU, "pagestream.store.qdrant.port")).isEqualTo("6334");
        long serverLimit = values.path("config").path("service").path("max_request_size_mb").asLong(32) << 20;
        assertThat(Long.parseLong(effective(GPU, "pagestream.store.qdrant.max-request-bytes")))
                .as("the app's upserts fit Qdrant's request limit").isLessThanOrEqualTo(serverLimit);

        JsonNode apiKeyEnv = null;
        for (JsonNode e : values.path("env")) {
            if (e.path("name").asText().equals("QDRANT__SERVICE__API_KEY")) {
                apiKeyEnv = e.path("valueFrom").path("secretKeyRef");
            }
        }
        assertThat(apiKeyEnv).as("Qdrant's API key from a Secret").isNotNull();
        assertThat(values.path("apiKey").asBoolean(true)).as("the chart must not generate its own key").isFalse();
        for (List<ObjectNode> overlay : List.of(GPU, CPU)) {
            assertThat(env(container(overlay, CONTAINER)).get("PAGESTREAM_STORE_QDRANT_API_KEY"))
                    .isEqualTo("secret:" + apiKeyEnv.path("name").asText() + "/" + apiKeyEnv.path("key").asText());
        }
    }
}
