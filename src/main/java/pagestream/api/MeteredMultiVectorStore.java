package pagestream.api;

import pagestream.model.MultiVector;
import pagestream.store.MultiVectorStore;
import pagestream.store.PagePoint;
import pagestream.store.SearchFilter;
import pagestream.store.SearchHit;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The store the service uses: every call goes to the real one; upserts that return (durable) count as ingested
 * pages. The count is taken here because a page is ingested exactly when its upsert is durable.
 */
final class MeteredMultiVectorStore implements MultiVectorStore {

    private final MultiVectorStore store;
    private final Metrics metrics;

    MeteredMultiVectorStore(MultiVectorStore store, Metrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    @Override
    public void ensureCollection(int dim) {
        store.ensureCollection(dim);
    }

    @Override
    public void upsert(List<PagePoint> points) {
        store.upsert(points);
        metrics.pagesIngested(points.size());
    }

    @Override
    public void deleteDocument(String docId, String tenant) {
        store.deleteDocument(docId, tenant);
    }

    @Override
    public List<SearchHit> search(MultiVector query, int topK, SearchFilter filter) {
        return store.search(query, topK, filter);
    }

    @Override
    public long count(SearchFilter filter) {
        return store.count(filter);
    }

    @Override
    public Optional<PagePoint> get(UUID id) {
        return store.get(id);
    }

    @Override
    public boolean isReachable() {
        return store.isReachable();
    }

    @Override
    public void close() {
        store.close();
    }
}
