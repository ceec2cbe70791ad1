package pagestream.store;

import java.util.UUID;

/** One search result: the page, its MaxSim score and its payload. {@code metadataJson} may be {@code null}. */
public record SearchHit(UUID id, String docId, int page, float score, String tenant, String metadataJson) {
}
