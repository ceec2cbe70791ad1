package pagestream.store.qdrant;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.qdrant.client.grpc.Collections.CollectionConfig;
import io.qdrant.client.grpc.Collections.CollectionExists;
import io.qdrant.client.grpc.Collections.CollectionExistsRequest;
import io.qdrant.client.grpc.Collections.CollectionExistsResponse;
import io.qdrant.client.grpc.Collections.CollectionInfo;
import io.qdrant.client.grpc.Collections.CollectionOperationResponse;
import io.qdrant.client.grpc.Collections.CollectionParams;
import io.qdrant.client.grpc.Collections.CollectionStatus;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.DeleteCollection;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.GetCollectionInfoRequest;
import io.qdrant.client.grpc.Collections.GetCollectionInfoResponse;
import io.qdrant.client.grpc.Collections.PayloadSchemaInfo;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.CollectionsGrpc;
import io.qdrant.client.grpc.Common.Condition;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.CountPoints;
import io.qdrant.client.grpc.Points.CountResponse;
import io.qdrant.client.grpc.Points.CountResult;
import io.qdrant.client.grpc.Points.CreateFieldIndexCollection;
import io.qdrant.client.grpc.Points.DeletePoints;
import io.qdrant.client.grpc.Points.DenseVector;
import io.qdrant.client.grpc.Points.FieldType;
import io.qdrant.client.grpc.Points.GetPoints;
import io.qdrant.client.grpc.Points.GetResponse;
import io.qdrant.client.grpc.Points.MultiDenseVector;
import io.qdrant.client.grpc.Points.NamedVectorsOutput;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.PointsOperationResponse;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.QueryResponse;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.UpdateResult;
import io.qdrant.client.grpc.Points.UpdateStatus;
import io.qdrant.client.grpc.Points.UpsertPoints;
import io.qdrant.client.grpc.Points.Vector;
import io.qdrant.client.grpc.Points.VectorInput;
import io.qdrant.client.grpc.Points.VectorOutput;
import io.qdrant.client.grpc.Points.VectorsOutput;
import io.qdrant.client.grpc.PointsGrpc;
import io.qdrant.client.grpc.QdrantGrpc;
import io.qdrant.client.grpc.QdrantOuterClass.HealthCheckReply;
import io.qdrant.client.grpc.QdrantOuterClass.HealthCheckRequest;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * An in-memory Qdrant for tests: the real gRPC services (the client jar's own generated bases) on a loopback
 * Netty server, implementing what {@link QdrantMultiVectorStore} calls and enforcing what real Qdrant enforces
 * for those calls, with its status codes and messages: collection existence, vector names and dimensions,
 * multivector config for multi-vectors and the 1,048,576-floats-per-multivector limit, Dot + MaxSim scoring,
 * keyword must-match filters, payload index types (strict mode: filtering an unindexed field is refused, like
 * Qdrant's {@code strict_mode_config.unindexed_filtering_retrieve = false}), the {@code api-key} header, TLS,
 * and a 32 MiB request size limit. Not implemented calls answer UNIMPLEMENTED (the bases' default). Public for
 * the service tests that run the application against it.
 */
public final class QdrantTestServer implements AutoCloseable {

    static final String VERSION = "1.18.0";
    static final int MAX_MULTIVECTOR_FLOATS = 1_048_576;
    /** Qdrant's default {@code service.max_request_size_mb} (32). */
    static final int MAX_REQUEST_BYTES = 32 << 20;

    private final ServerCredentials credentials;
    private final String apiKey;
    /** The collections outlive {@link #stop()}: a restarted server has the data of the stopped one. */
    private final Map<String, TestCollection> collections = new ConcurrentHashMap<>();
    private final boolean strict;
    private volatile Server server;
    private final int port;
    /** Fault injection: upserts holding a point with this {@code doc_id} are refused like an invalid point. */
    private volatile String refusedDocId;
    /** Fault injection: upserts fail with UNAVAILABLE (writes stalled) while searches and counts still work. */
    private volatile boolean writesStalled;

    private static final class TestCollection {
        final CreateCollection config;
        final Map<String, PointStruct> points = new LinkedHashMap<>();
        final Map<String, FieldType> indexes = new LinkedHashMap<>();

        TestCollection(CreateCollection config) {
            this.config = config;
        }
    }

    private QdrantTestServer(ServerCredentials credentials, String apiKey, boolean strict) throws IOException {
        this.credentials = credentials;
        this.apiKey = apiKey;
        this.strict = strict;
        this.server = listen(0);
        this.port = server.getPort();
    }

    private Server listen(int port) throws IOException {
        var services = List.of(new Health().bindService(), new Collections().bindService(), new Points().bindService());
        NettyServerBuilder builder = NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port), credentials)
                .maxInboundMessageSize(MAX_REQUEST_BYTES);
        for (var service : services) {
            builder.addService(apiKey == null ? service : ServerInterceptors.intercept(service, new ApiKeyCheck(apiKey)));
        }
        return builder.build().start();
    }

    /** Plain text, no API key, strict mode on. */
    static QdrantTestServer start() throws IOException {
        return new QdrantTestServer(InsecureServerCredentials.create(), null, true);
    }

    public static QdrantTestServer start(ServerCredentials credentials, String apiKey) throws IOException {
        return new QdrantTestServer(credentials, apiKey, true);
    }

    public int port() {
        return port;
    }

    /** What a client created (for asserting the collection's parameters). */
    CreateCollection collectionConfig(String name) {
        return collections.get(name).config;
    }

    Map<String, FieldType> payloadIndexes(String name) {
        synchronized (collections.get(name)) {
            return Map.copyOf(collections.get(name).indexes);
        }
    }

    /** Points of this document are refused with INVALID_ARGUMENT from now on (a poison page). */
    void refuseDocument(String docId) {
        refusedDocId = docId;
    }

    /**
     * While {@code stalled}, every upsert fails with UNAVAILABLE and stores nothing; reads are served as usual (a
     * cluster that cannot take writes, e.g. a full disk on the shard leader).
     */
    public void stallWrites(boolean stalled) {
        writesStalled = stalled;
    }

    /** Points in a collection, read on the server side (also while it is stopped). */
    int pointCount(String name) {
        TestCollection c = collections.get(name);
        if (c == null) {
            return 0;
        }
        synchronized (c) {
            return c.points.size();
        }
    }

    /** An outage: the port closes and open connections are cut; the data stays for {@link #restart()}. */
    void stop() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Back after {@link #stop()}: the same port, the same collections and points. */
    void restart() throws IOException {
        server = listen(port);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    // ---- services ------------------------------------------------------------------------------------------

    private final class Health extends QdrantGrpc.QdrantImplBase {
        @Override
        public void healthCheck(HealthCheckRequest request, StreamObserver<HealthCheckReply> out) {
            answer(out, () -> HealthCheckReply.newBuilder().setTitle("qdrant - vector search engine")
                    .setVersion(VERSION).setCommit("test").build());
        }
    }

    private final class Collections extends CollectionsGrpc.CollectionsImplBase {
        @Override
        public void create(CreateCollection request, StreamObserver<CollectionOperationResponse> out) {
            answer(out, () -> {
                validateConfig(request);
                if (collections.putIfAbsent(request.getCollectionName(), new TestCollection(request)) != null) {
                    throw invalid("Wrong input: Collection `" + request.getCollectionName() + "` already exists!");
                }
                return CollectionOperationResponse.newBuilder().setResult(true).setTime(0.001).build();
            });
        }

        @Override
        public void collectionExists(CollectionExistsRequest request, StreamObserver<CollectionExistsResponse> out) {
            answer(out, () -> CollectionExistsResponse.newBuilder().setResult(CollectionExists.newBuilder()
                    .setExists(collections.containsKey(request.getCollectionName()))).setTime(0.001).build());
        }

        @Override
        public void get(GetCollectionInfoRequest request, StreamObserver<GetCollectionInfoResponse> out) {
            answer(out, () -> {
                TestCollection c = collection(request.getCollectionName());
                synchronized (c) {
                    CreateCollection cfg = c.config;
                    CollectionInfo.Builder info = CollectionInfo.newBuilder()
                            .setStatus(CollectionStatus.Green)
                            .setSegmentsCount(1)
                            .setPointsCount(c.points.size())
                            .setConfig(CollectionConfig.newBuilder().setParams(CollectionParams.newBuilder()
                                    .setVectorsConfig(cfg.getVectorsConfig())
                                    .setShardNumber(cfg.hasShardNumber() ? cfg.getShardNumber() : 1)
                                    .setReplicationFactor(cfg.hasReplicationFactor() ? cfg.getReplicationFactor() : 1)
                                    .setWriteConsistencyFactor(cfg.hasWriteConsistencyFactor() ? cfg.getWriteConsistencyFactor() : 1)));
                    c.indexes.forEach((field, type) -> info.putPayloadSchema(field,
                            PayloadSchemaInfo.newBuilder().setDataType(schemaType(type)).build()));
                    return GetCollectionInfoResponse.newBuilder().setResult(info).setTime(0.001).build();
                }
            });
        }

        @Override
        public void delete(DeleteCollection request, StreamObserver<CollectionOperationResponse> out) {
            answer(out, () -> CollectionOperationResponse.newBuilder()
                    .setResult(collections.remove(request.getCollectionName()) != null).setTime(0.001).build());
        }
    }

    private final class Points extends PointsGrpc.PointsImplBase {
        @Override
        public void createFieldIndex(CreateFieldIndexCollection request, StreamObserver<PointsOperationResponse> out) {
            answer(out, () -> {
                TestCollection c = collection(request.getCollectionName());
                if (!request.hasFieldType() || request.getFieldType() == FieldType.UNRECOGNIZED) {
                    throw invalid("Wrong input: field_type is required to create a payload index on " + request.getFieldName());
                }
                synchronized (c) {
                    c.indexes.put(request.getFieldName(), request.getFieldType());
                }
                return completed();
            });
        }

        @Override
        public void upsert(UpsertPoints request, StreamObserver<PointsOperationResponse> out) {
            answer(out, () -> {
                if (writesStalled) {
                    throw Status.UNAVAILABLE.withDescription("test server: writes stalled").asRuntimeException();
                }
                TestCollection c = collection(request.getCollectionName());
                synchronized (c) {
                    List<PointStruct> checked = new ArrayList<>();
                    for (PointStruct p : request.getPointsList()) {
                        checked.add(checkPoint(c, p)); // validate the whole request before applying any of it
                    }
                    checked.forEach(p -> c.points.put(key(p.getId()), p));
                }
                return completed();
            });
        }

        @Override
        public void delete(DeletePoints request, StreamObserver<PointsOperationResponse> out) {
            answer(out, () -> {
                TestCollection c = collection(request.getCollectionName());
                synchronized (c) {
                    if (request.getPoints().hasFilter()) {
                        Filter f = request.getPoints().getFilter();
                        checkFilter(c, f);
                        c.points.values().removeIf(p -> matches(f, p.getPayloadMap()));
                    } else {
                        request.getPoints().getPoints().getIdsList().forEach(id -> c.points.remove(key(id)));
                    }
                }
                return completed();
            });
        }

        @Override
        public void count(CountPoints request, StreamObserver<CountResponse> out) {
            answer(out, () -> {
                TestCollection c = collection(request.getCollectionName());
                synchronized (c) {
                    checkFilter(c, request.getFilter());
                    long n = c.points.values().stream().filter(p -> matches(request.getFilter(), p.getPayloadMap())).count();
                    return CountResponse.newBuilder().setResult(CountResult.newBuilder().setCount(n)).setTime(0.001).build();
                }
            });
        }

        @Override
        public void get(GetPoints request, StreamObserver<GetResponse> out) {
            answer(out, () -> {
                TestCollection c = collection(request.getCollectionName());
                GetResponse.Builder response = GetResponse.newBuilder().setTime(0.001);
                synchronized (c) {
                    for (PointId id : request.getIdsList()) {
                        PointStruct p = c.points.get(key(id));
                        if (p == null) {
                            continue;
                        }
                        RetrievedPoint.Builder r = RetrievedPoint.newBuilder().setId(p.getId());
                        if (request.getWithPayload().getEnable()) {
                            r.putAllPayload(p.getPayloadMap());
                        }
                        if (request.getWithVectors().getEnable()) {
                            NamedVectorsOutput.Builder named = NamedVectorsOutput.newBuilder();
                            p.getVectors().getVectors().getVectorsMap().forEach((name, v) -> named.putVectors(name,
                                    VectorOutput.newBuilder().setMultiDense(multiDense(v)).build()));
                            r.setVectors(VectorsOutput.newBuilder().setVectors(named));
                        }
                        response.addResult(r);
                    }
                }
                return response.build();
            });
        }

        @Override
        public void query(QueryPoints request, StreamObserver<QueryResponse> out) {
            answer(out, () -> {
                TestCollection c = collection(request.getCollectionName());
                if (request.getPrefetchCount() > 0 || !request.getQuery().hasNearest()) {
                    throw Status.UNIMPLEMENTED.withDescription("test server: only a plain nearest query").asRuntimeException();
                }
                String using = request.hasUsing() ? request.getUsing() : "";
                VectorParams params = vectorParams(c, using);
                float[][] query = queryRows(request.getQuery().getNearest(), params);
                long limit = request.hasLimit() ? request.getLimit() : 10;
                List<ScoredPoint> scored = new ArrayList<>();
                synchronized (c) {
                    checkFilter(c, request.getFilter());
                    for (PointStruct p : c.points.values()) {
                        Vector v = p.getVectors().getVectors().getVectorsMap().get(using);
                        if (v == null || !matches(request.getFilter(), p.getPayloadMap())) {
                            continue;
                        }
                        ScoredPoint.Builder s = ScoredPoint.newBuilder().setId(p.getId())
                                .setScore(maxSimDot(query, multiDense(v))).setVersion(1);
                        if (request.getWithPayload().getEnable()) {
                            s.putAllPayload(p.getPayloadMap());
                        }
                        scored.add(s.build());
                    }
                }
                scored.sort(Comparator.comparingDouble(ScoredPoint::getScore).reversed());
                return QueryResponse.newBuilder().addAllResult(scored.subList(0, (int) Math.min(limit, scored.size())))
                        .setTime(0.001).build();
            });
        }
    }

    // ---- what Qdrant checks ----------------------------------------------------------------------------------

    private static void validateConfig(CreateCollection request) {
        if (!request.getVectorsConfig().hasParamsMap()) {
            throw Status.UNIMPLEMENTED.withDescription("test server: only named vectors").asRuntimeException();
        }
        request.getVectorsConfig().getParamsMap().getMapMap().forEach((name, p) -> {
            if (p.getSize() < 1 || p.getSize() > 65536) {
                throw invalid("Validation error in body: [vectors_config." + name + ".size: value " + p.getSize() + " invalid, must be from 1 to 65536]");
            }
            if (p.getDistance() == Distance.UnknownDistance || p.getDistance() == Distance.UNRECOGNIZED) {
                throw invalid("Wrong input: unknown distance for vector " + name);
            }
        });
    }

    private TestCollection collection(String name) {
        TestCollection c = collections.get(name);
        if (c == null) {
            throw Status.NOT_FOUND.withDescription("Not found: Collection `" + name + "` doesn't exist!").asRuntimeException();
        }
        return c;
    }

    private static VectorParams vectorParams(TestCollection c, String name) {
        VectorParams p = c.config.getVectorsConfig().getParamsMap().getMapMap().get(name);
        if (p == null) {
            throw invalid("Wrong input: Not existing vector name error: " + name);
        }
        return p;
    }

    private PointStruct checkPoint(TestCollection c, PointStruct p) {
        Value docId = p.getPayloadMap().get("doc_id");
        if (refusedDocId != null && docId != null && refusedDocId.equals(docId.getStringValue())) {
            throw invalid("Wrong input: test server refuses points of document " + refusedDocId);
        }
        if (!p.getVectors().hasVectors()) {
            throw invalid("Wrong input: Not existing vector name error: "); // an unnamed vector, collection has only named
        }
        Map<String, Vector> normalised = new LinkedHashMap<>();
        p.getVectors().getVectors().getVectorsMap().forEach((name, v) -> {
            VectorParams params = vectorParams(c, name);
            MultiDenseVector rows = multiDense(v);
            if (!params.hasMultivectorConfig() || rows.getVectorsCount() == 0) {
                throw invalid(params.hasMultivectorConfig() ? "Wrong input: Multivector must not be empty"
                        : "Wrong input: Conversion between multi and regular vectors failed");
            }
            long floats = 0;
            for (DenseVector row : rows.getVectorsList()) {
                if (row.getDataCount() != params.getSize()) {
                    throw invalid("Wrong input: Vector dimension error: expected dim: " + params.getSize() + ", got " + row.getDataCount());
                }
                floats += row.getDataCount();
            }
            if (floats > MAX_MULTIVECTOR_FLOATS) {
                throw invalid("Wrong input: Multivector " + name + " of " + floats + " floats exceeds the limit of "
                        + MAX_MULTIVECTOR_FLOATS);
            }
            normalised.put(name, Vector.newBuilder().setMultiDense(rows).build());
        });
        PointStruct.Builder stored = p.toBuilder();
        stored.getVectorsBuilder().getVectorsBuilder().putAllVectors(normalised);
        return stored.build();
    }

    private static float[][] queryRows(VectorInput input, VectorParams params) {
        if (!input.hasMultiDense()) {
            throw invalid("Wrong input: Conversion between multi and regular vectors failed");
        }
        if (!params.hasMultivectorConfig()) {
            throw invalid("Wrong input: Conversion between multi and regular vectors failed");
        }
        float[][] rows = new float[input.getMultiDense().getVectorsCount()][];
        for (int i = 0; i < rows.length; i++) {
            DenseVector row = input.getMultiDense().getVectors(i);
            if (row.getDataCount() != params.getSize()) {
                throw invalid("Wrong input: Vector dimension error: expected dim: " + params.getSize() + ", got " + row.getDataCount());
            }
            rows[i] = new float[row.getDataCount()];
            for (int d = 0; d < rows[i].length; d++) {
                rows[i][d] = row.getData(d);
            }
        }
        return rows;
    }

    /** A multivector in either wire form: {@code multi_dense}, or the legacy flat {@code data} + {@code vectors_count}. */
    private static MultiDenseVector multiDense(Vector v) {
        if (v.hasMultiDense()) {
            return v.getMultiDense();
        }
        if (!v.hasVectorsCount()) {
            throw invalid("Wrong input: Conversion between multi and regular vectors failed");
        }
        int rows = v.getVectorsCount();
        int dim = v.getDataCount() / Math.max(rows, 1);
        MultiDenseVector.Builder out = MultiDenseVector.newBuilder();
        for (int r = 0; r < rows; r++) {
            out.addVectors(DenseVector.newBuilder().addAllData(v.getDataList().subList(r * dim, (r + 1) * dim)));
        }
        return out.build();
    }

    /** Qdrant's MaxSim comparator over the Dot distance: Σ over query rows of the best dot with any stored row. */
    private static float maxSimDot(float[][] query, MultiDenseVector stored) {
        float sum = 0;
        for (float[] q : query) {
            float best = Float.NEGATIVE_INFINITY;
            for (DenseVector row : stored.getVectorsList()) {
                float dot = 0;
                for (int d = 0; d < q.length; d++) {
                    dot += q[d] * row.getData(d);
                }
                best = Math.max(best, dot);
            }
            sum += best;
        }
        return sum;
    }

    private void checkFilter(TestCollection c, Filter f) {
        if (f.getShouldCount() > 0 || f.getMustNotCount() > 0 || f.hasMinShould()) {
            throw Status.UNIMPLEMENTED.withDescription("test server: only must conditions").asRuntimeException();
        }
        for (Condition condition : f.getMustList()) {
            if (!condition.hasField() || !condition.getField().getMatch().hasKeyword()) {
                throw Status.UNIMPLEMENTED.withDescription("test server: only keyword match conditions").asRuntimeException();
            }
            String key = condition.getField().getKey();
            if (strict && c.indexes.get(key) != FieldType.FieldTypeKeyword) {
                throw invalid("Bad request: Index required but not found for \"" + key
                        + "\" of one of the following types: [keyword]. Help: Create an index for this key or use a different filter.");
            }
        }
    }

    private static boolean matches(Filter f, Map<String, Value> payload) {
        for (Condition condition : f.getMustList()) {
            Value v = payload.get(condition.getField().getKey());
            if (v == null || !v.hasStringValue() || !v.getStringValue().equals(condition.getField().getMatch().getKeyword())) {
                return false;
            }
        }
        return true;
    }

    private static PayloadSchemaType schemaType(FieldType type) {
        return switch (type) {
            case FieldTypeKeyword -> PayloadSchemaType.Keyword;
            case FieldTypeInteger -> PayloadSchemaType.Integer;
            case FieldTypeFloat -> PayloadSchemaType.Float;
            case FieldTypeGeo -> PayloadSchemaType.Geo;
            case FieldTypeText -> PayloadSchemaType.Text;
            case FieldTypeBool -> PayloadSchemaType.Bool;
            case FieldTypeDatetime -> PayloadSchemaType.Datetime;
            case FieldTypeUuid -> PayloadSchemaType.Uuid;
            case UNRECOGNIZED -> PayloadSchemaType.UnknownType;
        };
    }

    private static String key(PointId id) {
        return id.hasUuid() ? id.getUuid() : Long.toString(id.getNum());
    }

    private static PointsOperationResponse completed() {
        return PointsOperationResponse.newBuilder().setResult(UpdateResult.newBuilder()
                .setOperationId(1).setStatus(UpdateStatus.Completed)).setTime(0.001).build();
    }

    private static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    private static <T> void answer(StreamObserver<T> out, Supplier<T> body) {
        T response;
        try {
            response = body.get();
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        out.onNext(response);
        out.onCompleted();
    }

    /** Qdrant's gRPC auth: every call needs the {@code api-key} header when the server has a key. */
    private static final class ApiKeyCheck implements ServerInterceptor {
        private static final Metadata.Key<String> API_KEY = Metadata.Key.of("api-key", Metadata.ASCII_STRING_MARSHALLER);
        private final String expected;

        ApiKeyCheck(String expected) {
            this.expected = expected;
        }

        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            if (!expected.equals(headers.get(API_KEY))) {
                call.close(Status.UNAUTHENTICATED.withDescription(
                        "Must provide an API key or an Authorization bearer token"), new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
            return next.startCall(call, headers);
        }
    }
}
