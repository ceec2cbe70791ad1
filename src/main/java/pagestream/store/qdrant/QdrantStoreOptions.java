package pagestream.store.qdrant;

import pagestream.PageStreamConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Connection and collection settings of {@link QdrantMultiVectorStore}; {@link #from} maps
 * {@code pagestream.store.qdrant.*}.
 *
 * @param caCertificate    PEM to trust for TLS (absent: the JVM's default trust store)
 * @param maxRequestBytes  upper bound of one upsert request's protobuf size (Qdrant and gRPC limit message sizes)
 */
public record QdrantStoreOptions(String host, int port, boolean tls, Optional<Path> caCertificate,
                                 Optional<String> apiKey, String collection, String vectorName, int shardNumber,
                                 int replicationFactor, int writeConsistencyFactor, Duration timeout,
                                 int maxRequestBytes) {

    public QdrantStoreOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(caCertificate, "caCertificate");
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(vectorName, "vectorName");
        Objects.requireNonNull(timeout, "timeout");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("pagestream.store.qdrant.port must be 1..65535, got " + port);
        }
        if (shardNumber < 1 || replicationFactor < 1 || writeConsistencyFactor < 1
                || writeConsistencyFactor > replicationFactor) {
            throw new IllegalArgumentException("pagestream.store.qdrant: need shard-number >= 1, replication-factor >= 1"
                    + " and 1 <= write-consistency-factor <= replication-factor, got " + shardNumber + ", "
                    + replicationFactor + ", " + writeConsistencyFactor);
        }
        if (maxRequestBytes < 64 * 1024) {
            throw new IllegalArgumentException("pagestream.store.qdrant.max-request-bytes must be >= 65536, got " + maxRequestBytes);
        }
    }

    /** Plain-text, no API key, collection {@code pagestream}, vector {@code colpali}, 1 shard / 1 replica. */
    public static QdrantStoreOptions local(String host, int port) {
        return new QdrantStoreOptions(host, port, false, Optional.empty(), Optional.empty(), "pagestream", "colpali",
                1, 1, 1, Duration.ofSeconds(30), 3 << 20);
    }

    public static QdrantStoreOptions from(PageStreamConfig.Qdrant q) {
        String host = q.host().orElseThrow(() -> new IllegalArgumentException(
                "pagestream.store.qdrant.host is not set (needed for the Qdrant store)"));
        return new QdrantStoreOptions(host, q.port(), q.tls(), q.caCertificate(), q.apiKey(), q.collection(),
                q.vectorName(), q.shardNumber(), q.replicationFactor(), q.writeConsistencyFactor(), q.timeout(),
                q.maxRequestBytes());
    }

    /** A record's own toString would print the API key. */
    @Override
    public String toString() {
        return "QdrantStoreOptions[" + host + ":" + port + ", tls=" + tls + ", caCertificate=" + caCertificate.orElse(null)
                + ", apiKey=" + (apiKey.isPresent() ? "<hidden>" : "<none>") + ", collection=" + collection
                + ", vectorName=" + vectorName + ", shards=" + shardNumber + ", replication=" + replicationFactor
                + ", writeConsistency=" + writeConsistencyFactor + ", timeout=" + timeout
                + ", maxRequestBytes=" + maxRequestBytes + "]";
    }

    public QdrantStoreOptions withCollection(String name) {
        return new QdrantStoreOptions(host, port, tls, caCertificate, apiKey, name, vectorName, shardNumber,
                replicationFactor, writeConsistencyFactor, timeout, maxRequestBytes);
    }

    public QdrantStoreOptions withTls(Path trustedPem) {
        return new QdrantStoreOptions(host, port, true, Optional.of(trustedPem), apiKey, collection, vectorName,
                shardNumber, replicationFactor, writeConsistencyFactor, timeout, maxRequestBytes);
    }

    public QdrantStoreOptions withApiKey(String key) {
        return new QdrantStoreOptions(host, port, tls, caCertificate, Optional.ofNullable(key), collection, vectorName,
                shardNumber, replicationFactor, writeConsistencyFactor, timeout, maxRequestBytes);
    }

    public QdrantStoreOptions withMaxRequestBytes(int bytes) {
        return new QdrantStoreOptions(host, port, tls, caCertificate, apiKey, collection, vectorName, shardNumber,
                replicationFactor, writeConsistencyFactor, timeout, bytes);
    }
}
