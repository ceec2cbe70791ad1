package pagestream.store.qdrant;

import io.grpc.InsecureChannelCredentials;
import io.grpc.Grpc;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.MultiVectorComparator;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Points.FieldType;
import io.qdrant.client.grpc.Points.PointStruct;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.model.MultiVector;
import pagestream.store.MultiVectorStore;
import pagestream.store.MultiVectorStoreContract;
import pagestream.store.PagePoint;
import pagestream.store.SearchFilter;
import pagestream.store.StoreException;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.VectorFactory.multiVector;
import static io.qdrant.client.VectorsFactory.namedVectors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static pagestream.store.StoreFixtures.page;
import static pagestream.store.StoreFixtures.randomVectors;

/** The store through the official client over real gRPC (loopback Netty) against {@link QdrantTestServer}. */
class QdrantMultiVectorStoreTest extends MultiVectorStoreContract {

    private static final AtomicInteger COLLECTIONS = new AtomicInteger();
    private static QdrantTestServer server;
    private String collection;

    @BeforeAll
    static void startServer() throws Exception {
        server = QdrantTestServer.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    private QdrantStoreOptions options() {
        return QdrantStoreOptions.local("127.0.0.1", server.port()).withCollection(collection);
    }

    @Override
    protected MultiVectorStore newStore() {
        collection = "test-" + COLLECTIONS.incrementAndGet();
        return new QdrantMultiVectorStore(options());
    }

    @Test
    void createsTheCollectionWithQdrantsColPaliSettings() {
        CreateCollection created = server.collectionConfig(collection);
        VectorParams params = created.getVectorsConfig().getParamsMap().getMapMap().get("colpali");
        assertThat(params.getSize()).isEqualTo(DIM);
        assertThat(params.getDistance()).isEqualTo(Distance.Dot);
        assertThat(params.getMultivectorConfig().getComparator()).isEqualTo(MultiVectorComparator.MaxSim);
        assertThat(params.getHnswConfig().getM()).isZero();
        assertThat(created.getShardNumber()).isEqualTo(1);
        assertThat(created.getReplicationFactor()).isEqualTo(1);
        assertThat(created.getWriteConsistencyFactor()).isEqualTo(1);
        assertThat(server.payloadIndexes(collection)).isEqualTo(
                Map.of("doc_id", FieldType.FieldTypeKeyword, "tenant", FieldType.FieldTypeKeyword));
    }

    @Test
    void ensureCollectionIsIdempotentAcrossStores() {
        store.upsert(corpus().subList(0, 3));
        try (QdrantMultiVectorStore second = new QdrantMultiVectorStore(options())) {
            second.ensureCollection(DIM);
            assertThat(second.count(SearchFilter.any())).isEqualTo(3);
        }
    }

    @Test
    void anExistingCollectionThatIsNotADotMaxSimMultivectorIsRefused() throws Exception {
        try (QdrantClient raw = rawClient()) {
            raw.createCollectionAsync("cosine-single", Map.of("colpali", VectorParams.newBuilder()
                    .setSize(DIM).setDistance(Distance.Cosine).build())).get();
            raw.createCollectionAsync("other-name", Map.of("dense", VectorParams.newBuilder()
                    .setSize(DIM).setDistance(Distance.Dot).build())).get();
        }
        try (QdrantMultiVectorStore cosine = new QdrantMultiVectorStore(options().withCollection("cosine-single"));
             QdrantMultiVectorStore otherName = new QdrantMultiVectorStore(options().withCollection("other-name"))) {
            assertThatThrownBy(() -> cosine.ensureCollection(DIM))
                    .isInstanceOf(StoreException.class).hasMessageContaining("not a Dot/MaxSim multivector");
            assertThatThrownBy(() -> otherName.ensureCollection(DIM))
                    .isInstanceOf(StoreException.class).hasMessageContaining("no vector named colpali");
        }
    }

    @Test
    void aPageOverTheMultivectorLimitIsRefusedBeforeSending() {
        MultiVector huge = new MultiVector(1_048_576 / DIM + 1, DIM, new float[(1_048_576 / DIM + 1) * DIM]);
        PagePoint p = PagePoint.of(null, "huge", 0, null, null, null, null, huge);
        assertThatThrownBy(() -> store.upsert(List.of(p)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1048576");
    }

    @Test
    void theServerEnforcesTheMultivectorLimitAndDimensionToo() throws Exception {
        try (QdrantClient raw = rawClient()) {
            float[][] tooMany = new float[1_048_576 / DIM + 1][DIM];
            assertThat(statusOf(() -> raw.upsertAsync(collection, List.of(point(tooMany))).get()))
                    .isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(statusOf(() -> raw.upsertAsync(collection, List.of(point(new float[3][DIM + 1]))).get()))
                    .isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(statusOf(() -> raw.upsertAsync("missing", List.of(point(new float[3][DIM]))).get()))
                    .isEqualTo(Status.Code.NOT_FOUND);
        }
        assertThat(store.count(SearchFilter.any())).isZero();
    }

    @Test
    void largeUpsertsAreSplitUnderTheRequestLimit() {
        store.close();
        // 40 pages of 600×16 floats ≈ 40 KB each with max-request-bytes 64 KiB: one or two pages per request.
        store = new QdrantMultiVectorStore(options().withMaxRequestBytes(64 * 1024));
        store.ensureCollection(DIM);
        List<PagePoint> points = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            points.add(page(rnd, "acme", "big", i, 600, DIM));
        }
        store.upsert(points);
        assertThat(store.count(SearchFilter.tenant("acme").withDocId("big"))).isEqualTo(40);
    }

    @Test
    void aWrongApiKeyIsRefusedAndTheRightOneWorks() throws Exception {
        try (QdrantTestServer secured = QdrantTestServer.start(io.grpc.InsecureServerCredentials.create(), "s3cret")) {
            QdrantStoreOptions base = QdrantStoreOptions.local("127.0.0.1", secured.port()).withCollection("secured");
            try (QdrantMultiVectorStore wrong = new QdrantMultiVectorStore(base.withApiKey("guess"))) {
                assertThatThrownBy(() -> wrong.ensureCollection(DIM))
                        .isInstanceOf(StoreException.class).hasMessageContaining("UNAUTHENTICATED");
                assertThat(wrong.isReachable()).isFalse();
            }
            try (QdrantMultiVectorStore right = new QdrantMultiVectorStore(base.withApiKey("s3cret"))) {
                right.ensureCollection(DIM);
                right.upsert(corpus().subList(0, 2));
                assertThat(right.count(SearchFilter.any())).isEqualTo(2);
                assertThat(right.isReachable()).isTrue();
            }
        }
    }

    @Test
    void talksTlsWithATrustedCertificate(@TempDir Path tmp) throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.create(tmp);
        try (QdrantTestServer tls = QdrantTestServer.start(cert.serverCredentials(), null)) {
            QdrantStoreOptions base = QdrantStoreOptions.local("localhost", tls.port()).withCollection("tls");
            try (QdrantMultiVectorStore secure = new QdrantMultiVectorStore(base.withTls(cert.certificatePem()))) {
                secure.ensureCollection(DIM);
                List<PagePoint> points = corpus().subList(0, 4);
                secure.upsert(points);
                assertThat(secure.search(randomVectors(rnd, 3, DIM), 2, SearchFilter.any())).hasSize(2);
            }
            try (QdrantMultiVectorStore plain = new QdrantMultiVectorStore(base)) {
                assertThatThrownBy(() -> plain.ensureCollection(DIM)).isInstanceOf(StoreException.class);
            }
        }
    }

    /**
     * Qdrant as deployed securely: TLS and an API key at once. Only both together work; each failure says what to
     * check and never carries the key (it ends up in logs, health details and error replies).
     */
    @Test
    void aServerRequiringTlsAndAnApiKeyTakesOnlyBoth(@TempDir Path tmp) throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.create(java.nio.file.Files.createDirectory(tmp.resolve("server")));
        SelfSignedCertificate stranger = SelfSignedCertificate.create(java.nio.file.Files.createDirectory(tmp.resolve("other")));
        String key = "qdrant-key-" + java.util.UUID.randomUUID();
        String wrongKey = "qdrant-key-" + java.util.UUID.randomUUID();
        try (QdrantTestServer secured = QdrantTestServer.start(cert.serverCredentials(), key)) {
            QdrantStoreOptions base = QdrantStoreOptions.local("localhost", secured.port()).withCollection("tls-and-key");
            assertThat(base.withApiKey(key).toString()).contains("apiKey=<hidden>").doesNotContain(key);
            try (QdrantMultiVectorStore right = new QdrantMultiVectorStore(base.withTls(cert.certificatePem()).withApiKey(key))) {
                right.ensureCollection(DIM);
                right.upsert(corpus());
                assertThat(right.search(randomVectors(rnd, 3, DIM), 100, SearchFilter.tenant("acme")))
                        .hasSize(15).allMatch(h -> "acme".equals(h.tenant()));
                assertThat(right.isReachable()).isTrue();
            }
            assertRefused(base.withTls(cert.certificatePem()).withApiKey(wrongKey), "UNAUTHENTICATED", key, wrongKey)
                    .contains("check pagestream.store.qdrant.api-key");
            assertRefused(base.withTls(cert.certificatePem()), "UNAUTHENTICATED", key, wrongKey);
            assertRefused(base.withApiKey(key), "UNAVAILABLE", key, wrongKey)
                    .contains("pagestream.store.qdrant.tls=true");
            assertRefused(base.withTls(stranger.certificatePem()).withApiKey(key), "TLS handshake failed", key, wrongKey)
                    .contains("pagestream.store.qdrant.ca-certificate");
        }
    }

    /** The store cannot open the collection; the error and its whole cause chain name the problem but no key. */
    private static org.assertj.core.api.AbstractStringAssert<?> assertRefused(QdrantStoreOptions options, String expected,
            String... secrets) {
        try (QdrantMultiVectorStore store = new QdrantMultiVectorStore(options)) {
            assertThat(store.isReachable()).isFalse();
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> store.ensureCollection(DIM));
            assertThat(thrown).isInstanceOf(StoreException.class).hasMessageContaining(expected);
            java.io.StringWriter trace = new java.io.StringWriter();
            thrown.printStackTrace(new java.io.PrintWriter(trace));
            for (String secret : secrets) {
                assertThat(trace.toString()).doesNotContain(secret);
            }
            return assertThat(thrown.getMessage());
        }
    }

    @Test
    void anUnreachableServerIsNotReadyAndFailsClearly() throws Exception {
        int freePort;
        try (ServerSocket s = new ServerSocket(0)) {
            freePort = s.getLocalPort();
        }
        try (QdrantMultiVectorStore nowhere = new QdrantMultiVectorStore(QdrantStoreOptions.local("127.0.0.1", freePort))) {
            assertThat(nowhere.isReachable()).isFalse();
            assertThatThrownBy(() -> nowhere.ensureCollection(DIM))
                    .isInstanceOf(StoreException.class).hasMessageContaining("UNAVAILABLE").hasMessageContaining("" + freePort);
        }
    }

    private QdrantClient rawClient() {
        return new QdrantClient(QdrantGrpcClient.newBuilder(
                Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create())
                        .maxInboundMessageSize(64 << 20).build(), true, false).build());
    }

    private PointStruct point(float[][] rows) {
        return PointStruct.newBuilder().setId(id(java.util.UUID.randomUUID()))
                .setVectors(namedVectors(Map.of("colpali", multiVector(rows)))).build();
    }

    private interface Call {
        void run() throws Exception;
    }

    private static Status.Code statusOf(Call call) throws Exception {
        try {
            call.run();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                return s.getStatus().getCode();
            }
            throw e;
        }
        return Status.Code.OK;
    }
}
