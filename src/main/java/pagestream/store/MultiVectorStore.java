package pagestream.store;

import pagestream.model.MultiVector;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A collection of page multi-vectors searched by exact late interaction (MaxSim):
 * {@code score(query, page) = Σ_{query rows q} max_{page rows p} q·p}. Vectors are L2-normalised, so the dot
 * product is the cosine similarity. Implementations: {@code embedded.EmbeddedMultiVectorStore} (local disk,
 * SIMD scan) and {@code qdrant.QdrantMultiVectorStore} (Qdrant multivector collection over gRPC).
 *
 * <p>Every method throws {@link StoreException} when the backend fails (unreachable, timed out, I/O error, disk
 * full: a retry may succeed), {@link StoreRejectedException} when the backend refused the request's content, and
 * {@link IllegalArgumentException} for input that can never succeed (wrong dimension, bad metadata JSON, topK < 1).
 */
public interface MultiVectorStore extends AutoCloseable {

    /**
     * Creates the collection for vectors of {@code dim} floats if it does not exist; if it exists, checks that it
     * was made for the same dimension and scoring, and throws {@link StoreException} naming both otherwise.
     * Must be called before any other data operation.
     */
    void ensureCollection(int dim);

    /**
     * Inserts or replaces (same {@link PagePoint#id()}) the points. Returns only once they are durable: on disk
     * (embedded) or acknowledged with {@code wait=true} (Qdrant). When it throws, the caller must treat the whole
     * batch as not written (retrying is safe: upsert is idempotent).
     */
    void upsert(List<PagePoint> points);

    /** Deletes every page of {@code docId}, of every tenant. Durable on return. */
    default void deleteDocument(String docId) {
        deleteDocument(docId, null);
    }

    /** Deletes every page of {@code docId} owned by {@code tenant} ({@code null}: of every tenant). Durable on return. */
    void deleteDocument(String docId, String tenant);

    /** The {@code topK} best pages matching {@code filter}, highest MaxSim first (ties: doc id, then page). */
    List<SearchHit> search(MultiVector query, int topK, SearchFilter filter);

    /** Number of pages matching {@code filter}. */
    long count(SearchFilter filter);

    /** The stored point, vectors included. */
    Optional<PagePoint> get(UUID id);

    /**
     * Readiness: the backend answers and writes work: {@code false} from a write that failed for a reason other than
     * its content (outage, I/O error, disk full) until a later write succeeds.
     */
    boolean isReachable();

    @Override
    void close();
}
