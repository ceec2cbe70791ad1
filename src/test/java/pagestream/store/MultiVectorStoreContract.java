package pagestream.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import pagestream.model.MultiVector;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static pagestream.store.StoreFixtures.maxSim;
import static pagestream.store.StoreFixtures.page;
import static pagestream.store.StoreFixtures.randomVectors;

/**
 * What every {@link MultiVectorStore} must do, run against each implementation by a subclass (embedded, and
 * Qdrant over real gRPC). Small random multi-vectors (about 30×16), scores checked against MaxSim computed plainly.
 */
public abstract class MultiVectorStoreContract {

    protected static final int DIM = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    protected final Random rnd = new Random(42);
    protected MultiVectorStore store;

    /** A fresh, empty store (its own directory or collection), without ensureCollection called. */
    protected abstract MultiVectorStore newStore() throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        store = newStore();
        store.ensureCollection(DIM);
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    protected List<PagePoint> corpus() {
        List<PagePoint> points = new ArrayList<>();
        for (int doc = 0; doc < 6; doc++) {
            String tenant = doc % 2 == 0 ? "acme" : "globex";
            for (int p = 0; p < 5; p++) {
                points.add(page(rnd, tenant, "doc-" + doc, p, 20 + rnd.nextInt(20), DIM));
            }
        }
        return points;
    }

    @Test
    void searchRanksPagesByExactMaxSim() {
        List<PagePoint> points = corpus();
        store.upsert(points);
        MultiVector query = randomVectors(rnd, 7, DIM);

        List<SearchHit> hits = store.search(query, 10, SearchFilter.any());

        List<PagePoint> expected = points.stream()
                .sorted(Comparator.comparingDouble((PagePoint p) -> maxSim(query, p.vectors())).reversed())
                .limit(10).toList();
        assertThat(hits).hasSize(10);
        for (int i = 0; i < 10; i++) {
            assertThat(hits.get(i).id()).as("rank %d", i).isEqualTo(expected.get(i).id());
            assertThat(hits.get(i).docId()).isEqualTo(expected.get(i).docId());
            assertThat(hits.get(i).page()).isEqualTo(expected.get(i).page());
            assertThat(hits.get(i).tenant()).isEqualTo(expected.get(i).tenant());
            assertThat((double) hits.get(i).score()).isCloseTo(maxSim(query, expected.get(i).vectors()), within(1e-4));
        }
    }

    @Test
    void topKLargerThanTheCollectionReturnsEveryPage() {
        store.upsert(corpus().subList(0, 3));
        assertThat(store.search(randomVectors(rnd, 3, DIM), 100, SearchFilter.any())).hasSize(3);
    }

    @Test
    void upsertOfAnExistingIdReplacesIt() throws Exception {
        PagePoint first = page(rnd, "acme", "doc-x", 0, 30, DIM);
        PagePoint second = page(rnd, "acme", "doc-x", 0, 25, DIM);
        assertThat(second.id()).isEqualTo(first.id());

        store.upsert(List.of(first));
        store.upsert(List.of(first));
        store.upsert(List.of(second));

        assertThat(store.count(SearchFilter.any())).isEqualTo(1);
        PagePoint stored = store.get(first.id()).orElseThrow();
        assertThat(stored.vectors().rows()).isEqualTo(25);
        assertThat(stored.vectors().data()).containsExactly(second.vectors().data());
        MultiVector query = randomVectors(rnd, 4, DIM);
        assertThat((double) store.search(query, 5, SearchFilter.any()).get(0).score())
                .isCloseTo(maxSim(query, second.vectors()), within(1e-4));
    }

    @Test
    void getReturnsTheWholePoint() throws Exception {
        PagePoint p = page(rnd, "acme", "doc-g", 3, 30, DIM);
        store.upsert(List.of(p));

        PagePoint stored = store.get(p.id()).orElseThrow();

        assertThat(stored.docId()).isEqualTo("doc-g");
        assertThat(stored.page()).isEqualTo(3);
        assertThat(stored.tenant()).isEqualTo("acme");
        assertThat(JSON.readTree(stored.metadataJson())).isEqualTo(JSON.readTree(p.metadataJson()));
        assertThat(stored.contentSha256()).isEqualTo(p.contentSha256());
        assertThat(stored.modelId()).isEqualTo("test-model");
        assertThat(stored.ingestedAt()).isEqualTo(p.ingestedAt());
        assertThat(stored.vectors().rows()).isEqualTo(30);
        assertThat(stored.vectors().data()).containsExactly(p.vectors().data());
        assertThat(store.get(PointIds.of("nope", 0))).isEmpty();
    }

    @Test
    void searchHitsCarryTheMetadata() throws Exception {
        PagePoint p = page(rnd, null, "doc-m", 0, 10, DIM);
        store.upsert(List.of(p));
        SearchHit hit = store.search(randomVectors(rnd, 2, DIM), 1, SearchFilter.any()).get(0);
        assertThat(hit.tenant()).isNull();
        assertThat(JSON.readTree(hit.metadataJson())).isEqualTo(JSON.readTree(p.metadataJson()));
    }

    @Test
    void deleteDocumentRemovesEveryPageOfThatDocumentOnly() {
        List<PagePoint> points = corpus();
        store.upsert(points);

        store.deleteDocument("doc-2");

        assertThat(store.count(SearchFilter.any())).isEqualTo(points.size() - 5);
        assertThat(store.count(SearchFilter.any().withDocId("doc-2"))).isZero();
        assertThat(store.search(randomVectors(rnd, 5, DIM), 100, SearchFilter.any()))
                .noneMatch(h -> h.docId().equals("doc-2")).hasSize(points.size() - 5);
        store.deleteDocument("doc-2"); // deleting again is a no-op
        assertThat(store.count(SearchFilter.any())).isEqualTo(points.size() - 5);
    }

    @Test
    void deleteScopedToATenantLeavesOtherTenantsPages() {
        store.upsert(List.of(page(rnd, "acme", "shared.pdf", 0, 12, DIM), page(rnd, "globex", "shared.pdf", 0, 12, DIM)));

        store.deleteDocument("shared.pdf", "acme");

        assertThat(store.count(SearchFilter.tenant("acme"))).isZero();
        assertThat(store.count(SearchFilter.tenant("globex"))).isEqualTo(1);
    }

    @Test
    void aTenantNeverSeesAnotherTenantsPages() {
        List<PagePoint> points = corpus();
        points.add(page(rnd, null, "untenanted", 0, 12, DIM));
        store.upsert(points);
        MultiVector query = randomVectors(rnd, 6, DIM);

        List<SearchHit> acme = store.search(query, 100, SearchFilter.tenant("acme"));

        assertThat(acme).hasSize(15).allMatch(h -> "acme".equals(h.tenant()));
        // Asking for another tenant's document through a tenant filter narrows, never widens.
        assertThat(store.search(query, 100, SearchFilter.tenant("acme").withDocId("doc-1"))).isEmpty();
        assertThat(store.count(SearchFilter.tenant("acme").withDocId("doc-1"))).isZero();
        assertThat(store.count(SearchFilter.tenant("acme"))).isEqualTo(15);
        assertThat(store.count(SearchFilter.tenant("initech"))).isZero();
        assertThat(store.count(SearchFilter.any())).isEqualTo(31);
    }

    @Test
    void docFilterSearchesOneDocument() {
        List<PagePoint> points = corpus();
        store.upsert(points);
        MultiVector query = randomVectors(rnd, 6, DIM);

        List<SearchHit> hits = store.search(query, 3, SearchFilter.tenant("globex").withDocId("doc-3"));

        List<PagePoint> expected = points.stream().filter(p -> p.docId().equals("doc-3"))
                .sorted(Comparator.comparingDouble((PagePoint p) -> maxSim(query, p.vectors())).reversed()).limit(3).toList();
        assertThat(hits).extracting(SearchHit::id).containsExactlyElementsOf(expected.stream().map(PagePoint::id).toList());
    }

    @Test
    void aDifferentDimensionIsRefusedWithBothDimensions() {
        assertThatThrownBy(() -> store.ensureCollection(DIM * 2))
                .isInstanceOf(StoreException.class).hasMessageContaining("" + DIM).hasMessageContaining("" + DIM * 2);
        PagePoint wrong = page(rnd, null, "d", 0, 5, DIM + 1);
        assertThatThrownBy(() -> store.upsert(List.of(wrong)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimension " + (DIM + 1));
        assertThatThrownBy(() -> store.search(randomVectors(rnd, 2, DIM + 1), 1, SearchFilter.any()))
                .isInstanceOf(IllegalArgumentException.class);
        store.ensureCollection(DIM); // the right dimension is still fine
    }

    @Test
    void metadataMustBeAJsonObject() {
        PagePoint p = page(rnd, null, "d", 0, 5, DIM);
        PagePoint bad = new PagePoint(p.id(), p.docId(), 0, null, "[1,2]", null, null, null, p.vectors());
        assertThatThrownBy(() -> store.upsert(List.of(bad)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JSON object");
        assertThat(store.count(SearchFilter.any())).isZero();
    }

    @Test
    void isReachableWhenOpen() {
        assertThat(store.isReachable()).isTrue();
    }
}
