package pagestream.api;

import pagestream.PageStreamConfig;
import pagestream.store.MultiVectorStore;
import pagestream.store.embedded.EmbeddedMultiVectorStore;
import pagestream.store.qdrant.QdrantMultiVectorStore;
import pagestream.store.qdrant.QdrantStoreOptions;

import java.util.Locale;

/** Opens the store {@code pagestream.store.type} names: {@code auto}, {@code embedded} or {@code qdrant}. */
public final class VectorStores {

    private VectorStores() {
    }

    public enum Kind { EMBEDDED, QDRANT }

    /** {@code auto} is Qdrant when {@code pagestream.store.qdrant.host} is set, else the embedded store. */
    public static Kind kind(PageStreamConfig.Store store) {
        return switch (store.type().strip().toLowerCase(Locale.ROOT)) {
            case "auto" -> store.qdrant().host().filter(h -> !h.isBlank()).isPresent() ? Kind.QDRANT : Kind.EMBEDDED;
            case "embedded" -> Kind.EMBEDDED;
            case "qdrant" -> Kind.QDRANT;
            default -> throw new IllegalArgumentException("pagestream.store.type is '" + store.type()
                    + "'; expected auto, embedded or qdrant");
        };
    }

    public static MultiVectorStore open(PageStreamConfig config) {
        return switch (kind(config.store())) {
            case EMBEDDED -> EmbeddedMultiVectorStore.open(EmbeddedMultiVectorStore.defaultDirectory(config));
            case QDRANT -> new QdrantMultiVectorStore(QdrantStoreOptions.from(config.store().qdrant()));
        };
    }
}
