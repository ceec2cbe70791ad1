package pagestream.store;

import pagestream.model.MultiVector;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One stored page: its multi-vector plus the payload that search hits carry back.
 *
 * @param id            point id, normally {@link PointIds#of(String, String, int)}
 * @param tenant        owner of the document, or {@code null} for a single-tenant deployment
 * @param metadataJson  a JSON object given by the producer of the page ({@code null}: none)
 * @param contentSha256 hex SHA-256 of the page's source bytes (dedup / audit), may be {@code null}
 * @param modelId       the embedding model that made {@code vectors}
 */
public record PagePoint(UUID id, String docId, int page, String tenant, String metadataJson, String contentSha256,
                        String modelId, Instant ingestedAt, MultiVector vectors) {

    public PagePoint {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(vectors, "vectors");
        if (docId == null || docId.isEmpty()) {
            throw new IllegalArgumentException("PagePoint " + id + " has no doc id");
        }
        if (page < 0) {
            throw new IllegalArgumentException("PagePoint " + docId + " has negative page " + page);
        }
        if (vectors.rows() < 1) {
            throw new IllegalArgumentException("PagePoint " + docId + " page " + page + " has no vectors");
        }
    }

    /** A point whose id is {@link PointIds#of(String, String, int)} of its tenant, doc id and page. */
    public static PagePoint of(String tenant, String docId, int page, String metadataJson, String contentSha256,
                               String modelId, Instant ingestedAt, MultiVector vectors) {
        return new PagePoint(PointIds.of(tenant, docId, page), docId, page, tenant, metadataJson, contentSha256,
                modelId, ingestedAt, vectors);
    }
}
