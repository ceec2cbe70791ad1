package pagestream.store.qdrant;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.VersionsCompatibilityChecker;
import io.qdrant.client.grpc.Collections.CollectionInfo;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.HnswConfigDiff;
import io.qdrant.client.grpc.Collections.MultiVectorComparator;
import io.qdrant.client.grpc.Collections.MultiVectorConfig;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorParamsMap;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.DeletePoints;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.PointsSelector;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.UpsertPoints;
import io.qdrant.client.grpc.Points.VectorOutput;
import pagestream.model.MultiVector;
import pagestream.store.MultiVectorStore;
import pagestream.store.PagePoint;
import pagestream.store.SearchFilter;
import pagestream.store.SearchHit;
import pagestream.store.StoreException;
import pagestream.store.StoreRejectedException;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.qdrant.client.ConditionFactory.matchKeyword;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.QueryFactory.nearest;
import static io.qdrant.client.VectorFactory.multiVector;
import static io.qdrant.client.VectorsFactory.namedVectors;
import static io.qdrant.client.WithPayloadSelectorFactory.enable;

/**
 * The store on a Qdrant collection, through the official Java client over gRPC. The collection has one named
 * multivector ({@link QdrantStoreOptions#vectorName()}) compared with MaxSim over Dot products (vectors are
 * L2-normalised), HNSW off on it ({@code m = 0}: exact rerank-style scoring, no graph to build for 1,030 rows
 * per point), and keyword payload indexes on {@code doc_id} and {@code tenant} so filters stay cheap.
 *
 * <p>Writes use {@code wait=true}: a returned {@link #upsert} was applied by Qdrant (with the collection's write
 * consistency factor). Large upserts are split by protobuf size into requests sent concurrently.
 */
public final class QdrantMultiVectorStore implements MultiVectorStore {

    /** Qdrant refuses a multivector of more floats than this (rows × dim). */
    public static final int MAX_MULTIVECTOR_FLOATS = 1_048_576;
    /** Reading a whole page back (get) is ~533 KB per 1030x128 page; grpc-java's default inbound limit is 4 MiB. */
    private static final int MAX_INBOUND_BYTES = 64 << 20;
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

    private final QdrantStoreOptions options;
    private final ManagedChannel channel;
    private final QdrantClient client;
    private volatile int dim = -1;
    /** Why the last write failed for a reason other than its content; {@code null} once a write succeeded. */
    private volatile String failingWrites;

    public QdrantMultiVectorStore(QdrantStoreOptions options) {
        this.options = options;
        this.channel = channel(options);
        this.client = new QdrantClient(grpcClient(channel, options));
    }

    private static ManagedChannel channel(QdrantStoreOptions o) {
        ChannelCredentials credentials;
        if (o.tls()) {
            TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
            if (o.caCertificate().isPresent()) {
                try {
                    tls.trustManager(o.caCertificate().get().toFile());
                } catch (IOException e) {
                    throw new StoreException("cannot read pagestream.store.qdrant.ca-certificate "
                            + o.caCertificate().get() + ": " + e.getMessage(), e);
                }
            }
            credentials = tls.build();
        } else {
            credentials = InsecureChannelCredentials.create();
        }
        return Grpc.newChannelBuilderForAddress(o.host(), o.port(), credentials)
                .maxInboundMessageSize(MAX_INBOUND_BYTES)
                .build();
    }

    private static QdrantGrpcClient grpcClient(ManagedChannel channel, QdrantStoreOptions o) {
        // checkCompatibility=false: the builder would make a blocking call while the service is still being
        // constructed; ensureCollection checks the server version instead, with the configured timeout.
        QdrantGrpcClient.Builder builder = QdrantGrpcClient.newBuilder(channel, true, false).withTimeout(o.timeout());
        o.apiKey().ifPresent(builder::withApiKey);
        return builder.build();
    }

    public QdrantStoreOptions options() {
        return options;
    }

    @Override
    public void ensureCollection(int dim) {
        if (dim < 1 || dim > 65536) {
            throw new IllegalArgumentException("dimension must be 1..65536, got " + dim);
        }
        warnIfIncompatibleServer();
        String name = options.collection();
        if (!call("check collection " + name, client.collectionExistsAsync(name, options.timeout()))) {
            VectorParams params = VectorParams.newBuilder()
                    .setSize(dim)
                    .setDistance(Distance.Dot)
                    .setMultivectorConfig(MultiVectorConfig.newBuilder().setComparator(MultiVectorComparator.MaxSim))
                    .setHnswConfig(HnswConfigDiff.newBuilder().setM(0))
                    .build();
            CreateCollection create = CreateCollection.newBuilder()
                    .setCollectionName(name)
                    .setVectorsConfig(VectorsConfig.newBuilder().setParamsMap(
                            VectorParamsMap.newBuilder().putMap(options.vectorName(), params)))
                    .setShardNumber(options.shardNumber())
                    .setReplicationFactor(options.replicationFactor())
                    .setWriteConsistencyFactor(options.writeConsistencyFactor())
                    .build();
            try {
                call("create collection " + name, client.createCollectionAsync(create, options.timeout()));
            } catch (StoreException e) {
                // Another replica of this service may have created it meanwhile: then verify it below.
                if (!call("check collection " + name, client.collectionExistsAsync(name, options.timeout()))) {
                    throw e;
                }
            }
        }
        verify(call("read collection " + name, client.getCollectionInfoAsync(name, options.timeout())), dim);
        for (String field : List.of(Payloads.DOC_ID, Payloads.TENANT)) {
            call("create keyword index on " + field, client.createPayloadIndexAsync(name, field,
                    PayloadSchemaType.Keyword, null, true, null, options.timeout()));
        }
        this.dim = dim;
    }

    /** Like the client's own check: Qdrant keeps gRPC compatible within one minor version either way. */
    private void warnIfIncompatibleServer() {
        String server = call("health check", client.healthCheckAsync(options.timeout())).getVersion();
        String clientVersion = QdrantGrpcClient.class.getPackage().getImplementationVersion();
        if (clientVersion != null && !VersionsCompatibilityChecker.isCompatible(clientVersion, server)) {
            System.getLogger(QdrantMultiVectorStore.class.getName()).log(System.Logger.Level.WARNING,
                    "Qdrant server {0} at {1}:{2} is not compatible with client {3}; requests may fail",
                    server, options.host(), String.valueOf(options.port()), clientVersion);
        }
    }

    private void verify(CollectionInfo info, int dim) {
        String where = "Qdrant collection " + options.collection();
        VectorsConfig vectors = info.getConfig().getParams().getVectorsConfig();
        VectorParams params = vectors.getParamsMap().getMapMap().get(options.vectorName());
        if (params == null) {
            throw new StoreException(where + " has no vector named " + options.vectorName()
                    + " (it has " + vectors.getParamsMap().getMapMap().keySet() + "); use another collection name");
        }
        if (params.getSize() != dim) {
            throw new StoreException(where + " holds " + options.vectorName() + " vectors of dimension "
                    + params.getSize() + ", but dimension " + dim + " was requested (a different model?)");
        }
        if (params.getDistance() != Distance.Dot || !params.hasMultivectorConfig()
                || params.getMultivectorConfig().getComparator() != MultiVectorComparator.MaxSim) {
            throw new StoreException(where + " vector " + options.vectorName() + " is not a Dot/MaxSim multivector ("
                    + params.getDistance() + ", multivector " + params.hasMultivectorConfig() + ")");
        }
    }

    @Override
    public void upsert(List<PagePoint> points) {
        int d = requireDim();
        List<ListenableFuture<?>> requests = sendUpserts(points, d);
        // Wait for every request even after a failure, so none is still in flight when we report the outcome.
        StoreException failure = null;
        for (ListenableFuture<?> request : requests) {
            try {
                call("upsert " + points.size() + " points", request);
            } catch (StoreException e) {
                failure = failure == null ? e : failure;
            }
        }
        trackWrite(failure);
        if (failure != null) {
            throw failure;
        }
    }

    private List<ListenableFuture<?>> sendUpserts(List<PagePoint> points, int d) {
        List<ListenableFuture<?>> requests = new ArrayList<>();
        List<PointStruct> batch = new ArrayList<>();
        long batchBytes = 0;
        for (PagePoint p : points) {
            PointStruct point = toPointStruct(p, d);
            int bytes = point.getSerializedSize();
            if (bytes > options.maxRequestBytes()) {
                throw new IllegalArgumentException("doc " + p.docId() + " page " + p.page() + " is " + bytes
                        + " bytes of protobuf, more than pagestream.store.qdrant.max-request-bytes=" + options.maxRequestBytes());
            }
            if (!batch.isEmpty() && batchBytes + bytes > options.maxRequestBytes()) {
                requests.add(sendUpsert(batch));
                batch = new ArrayList<>();
                batchBytes = 0;
            }
            batch.add(point);
            batchBytes += bytes;
        }
        if (!batch.isEmpty()) {
            requests.add(sendUpsert(batch));
        }
        return requests;
    }

    /** Readiness follows writes: down after one failed for a reason other than its content, up after a success. */
    private void trackWrite(StoreException failure) {
        if (failure == null) {
            failingWrites = null;
        } else if (!(failure instanceof StoreRejectedException)) {
            failingWrites = failure.getMessage();
        }
    }

    private ListenableFuture<?> sendUpsert(List<PointStruct> batch) {
        return client.upsertAsync(UpsertPoints.newBuilder()
                .setCollectionName(options.collection())
                .addAllPoints(batch)
                .setWait(true)
                .build(), options.timeout());
    }

    private PointStruct toPointStruct(PagePoint p, int d) {
        MultiVector v = p.vectors();
        String what = "doc " + p.docId() + " page " + p.page();
        if (v.dim() != d) {
            throw new IllegalArgumentException(what + " has vectors of dimension " + v.dim() + ", the collection holds " + d);
        }
        if ((long) v.rows() * v.dim() > MAX_MULTIVECTOR_FLOATS) {
            throw new IllegalArgumentException(what + " has " + v.rows() + "x" + v.dim() + " = " + (long) v.rows() * v.dim()
                    + " floats, more than Qdrant's multivector limit of " + MAX_MULTIVECTOR_FLOATS);
        }
        return PointStruct.newBuilder()
                .setId(id(p.id()))
                .setVectors(namedVectors(Map.of(options.vectorName(), multiVector(v.toArray()))))
                .putAllPayload(Payloads.of(p))
                .build();
    }

    @Override
    public void deleteDocument(String docId, String tenant) {
        requireDim();
        if (docId == null) {
            throw new IllegalArgumentException("deleteDocument needs a doc id");
        }
        DeletePoints delete = DeletePoints.newBuilder()
                .setCollectionName(options.collection())
                .setPoints(PointsSelector.newBuilder().setFilter(filter(new SearchFilter(tenant, docId))))
                .setWait(true)
                .build();
        try {
            call("delete doc " + docId, client.deleteAsync(delete, options.timeout()));
        } catch (StoreException e) {
            trackWrite(e);
            throw e;
        }
        trackWrite(null);
    }

    @Override
    public List<SearchHit> search(MultiVector query, int topK, SearchFilter filter) {
        int d = requireDim();
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be >= 1, got " + topK);
        }
        if (query.dim() != d || query.rows() < 1) {
            throw new IllegalArgumentException("query has " + query.rows() + "x" + query.dim()
                    + " vectors, the collection holds dimension " + d);
        }
        QueryPoints.Builder request = QueryPoints.newBuilder()
                .setCollectionName(options.collection())
                .setQuery(nearest(query.toArray()))
                .setUsing(options.vectorName())
                .setLimit(topK)
                .setWithPayload(enable(true));
        Filter f = filter(filter);
        if (f.getMustCount() > 0) {
            request.setFilter(f);
        }
        List<ScoredPoint> points = call("query", client.queryAsync(request.build(), options.timeout()));
        List<SearchHit> hits = new ArrayList<>(points.size());
        for (ScoredPoint p : points) {
            Map<String, Value> payload = p.getPayloadMap();
            hits.add(new SearchHit(UUID.fromString(p.getId().getUuid()), Payloads.string(payload, Payloads.DOC_ID),
                    Payloads.page(payload, p.getId().getUuid()), p.getScore(),
                    Payloads.string(payload, Payloads.TENANT), Payloads.metadataJson(payload)));
        }
        return hits;
    }

    @Override
    public long count(SearchFilter filter) {
        requireDim();
        Filter f = filter(filter);
        return call("count", client.countAsync(options.collection(), f.getMustCount() > 0 ? f : null, true, options.timeout()));
    }

    @Override
    public Optional<PagePoint> get(UUID pointId) {
        requireDim();
        List<RetrievedPoint> found = call("get " + pointId, client.retrieveAsync(options.collection(), List.of(id(pointId)),
                enable(true), io.qdrant.client.WithVectorsSelectorFactory.enable(true), null, options.timeout()));
        if (found.isEmpty()) {
            return Optional.empty();
        }
        RetrievedPoint p = found.get(0);
        Map<String, Value> payload = p.getPayloadMap();
        VectorOutput v = p.getVectors().getVectors().getVectorsMap().get(options.vectorName());
        if (v == null) {
            throw new StoreException("Qdrant point " + pointId + " has no vector " + options.vectorName());
        }
        String ingested = Payloads.string(payload, Payloads.INGESTED_AT);
        return Optional.of(new PagePoint(pointId, Payloads.string(payload, Payloads.DOC_ID),
                Payloads.page(payload, pointId.toString()), Payloads.string(payload, Payloads.TENANT),
                Payloads.metadataJson(payload), Payloads.string(payload, Payloads.CONTENT_SHA256),
                Payloads.string(payload, Payloads.MODEL_ID), ingested == null ? null : Instant.parse(ingested),
                toMultiVector(v)));
    }

    /** Qdrant ≥ 1.10 answers {@code multi_dense}; older servers the flat {@code data} + {@code vectors_count}. */
    private static MultiVector toMultiVector(VectorOutput v) {
        if (v.hasMultiDense()) {
            var rows = v.getMultiDense().getVectorsList();
            int dim = rows.get(0).getDataCount();
            float[] data = new float[rows.size() * dim];
            for (int r = 0; r < rows.size(); r++) {
                for (int c = 0; c < dim; c++) {
                    data[r * dim + c] = rows.get(r).getData(c);
                }
            }
            return new MultiVector(rows.size(), dim, data);
        }
        int rows = v.hasVectorsCount() ? v.getVectorsCount() : 1;
        float[] data = new float[v.getDataCount()];
        for (int i = 0; i < data.length; i++) {
            data[i] = v.getData(i);
        }
        return new MultiVector(rows, data.length / rows, data);
    }

    /** The server answers a health check and the last write did not fail for a reason other than its content. */
    @Override
    public boolean isReachable() {
        if (failingWrites != null) {
            return false;
        }
        try {
            client.healthCheckAsync(HEALTH_TIMEOUT).get(HEALTH_TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            channel.resetConnectBackoff();
            return false;
        }
    }

    @Override
    public void close() {
        client.close();
    }

    static Filter filter(SearchFilter f) {
        Filter.Builder filter = Filter.newBuilder();
        if (f != null && f.tenant() != null) {
            filter.addMust(matchKeyword(Payloads.TENANT, f.tenant()));
        }
        if (f != null && f.docId() != null) {
            filter.addMust(matchKeyword(Payloads.DOC_ID, f.docId()));
        }
        return filter.build();
    }

    /** What to check for the failures a configuration causes; never quotes the API key. */
    private String hint(StatusRuntimeException e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return " (TLS handshake failed: " + t.getMessage() + "; check pagestream.store.qdrant.ca-certificate)";
            }
        }
        return switch (e.getStatus().getCode()) {
            case UNAUTHENTICATED, PERMISSION_DENIED -> " (check pagestream.store.qdrant.api-key)";
            case UNAVAILABLE, INTERNAL -> options.tls() ? ""
                    : " (if the server only speaks TLS, set pagestream.store.qdrant.tls=true)";
            default -> "";
        };
    }

    private int requireDim() {
        int d = dim;
        if (d < 0) {
            throw new IllegalStateException("Qdrant store " + options.collection() + ": call ensureCollection(dim) first");
        }
        return d;
    }

    /** Waits for a client call (bounded by the timeout) and turns gRPC failures into a {@link StoreException}. */
    private <T> T call(String what, ListenableFuture<T> future) {
        try {
            return future.get(options.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("Qdrant " + what + " interrupted", e);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new StoreException("Qdrant " + what + " timed out after " + options.timeout(), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof StatusRuntimeException s) {
                String message = "Qdrant " + what + " on " + options.host() + ":" + options.port() + " failed: "
                        + s.getStatus().getCode() + " " + s.getStatus().getDescription() + hint(s);
                switch (s.getStatus().getCode()) {
                    case INVALID_ARGUMENT, OUT_OF_RANGE -> throw new StoreRejectedException(message, s);
                    // grpc-java waits up to 2 minutes between reconnection attempts after a long outage; our callers
                    // pace their own retries, so the next call should try to connect at once.
                    case UNAVAILABLE -> channel.resetConnectBackoff();
                    default -> { }
                }
                throw new StoreException(message, s);
            }
            throw new StoreException("Qdrant " + what + " failed: " + cause, cause);
        }
    }
}
