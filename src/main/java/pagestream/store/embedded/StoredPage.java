package pagestream.store.embedded;

import pagestream.model.MultiVector;
import pagestream.store.PagePoint;

import java.time.Instant;
import java.util.UUID;

/** A page held in memory: its payload plus its vectors in {@link PageTiles} layout (ready to scan). */
record StoredPage(UUID id, String docId, int page, String tenant, String metadataJson, String contentSha256,
                  String modelId, Instant ingestedAt, int rows, int dim, float[] tiles, int logBytes) {

    static StoredPage of(PagePoint p) {
        MultiVector v = p.vectors();
        return new StoredPage(p.id(), p.docId(), p.page(), p.tenant(), p.metadataJson(), p.contentSha256(),
                p.modelId(), p.ingestedAt(), v.rows(), v.dim(), PageTiles.fromRows(v.data(), v.rows(), v.dim()),
                LogCodec.encodedSize(p));
    }

    PagePoint toPoint() {
        return new PagePoint(id, docId, page, tenant, metadataJson, contentSha256, modelId, ingestedAt,
                new MultiVector(rows, dim, PageTiles.toRows(tiles, rows, dim)));
    }
}
