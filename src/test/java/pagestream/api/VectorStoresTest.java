package pagestream.api;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VectorStoresTest {

    @Test
    void autoIsQdrantExactlyWhenAHostIsSet() {
        assertThat(VectorStores.kind(StandaloneConfig.of(Map.of()).store())).isEqualTo(VectorStores.Kind.EMBEDDED);
        assertThat(VectorStores.kind(StandaloneConfig.of(Map.of("pagestream.store.qdrant.host", "qdrant")).store()))
                .isEqualTo(VectorStores.Kind.QDRANT);
        assertThat(VectorStores.kind(StandaloneConfig.of(Map.of("pagestream.store.type", "embedded",
                "pagestream.store.qdrant.host", "qdrant")).store())).isEqualTo(VectorStores.Kind.EMBEDDED);
        assertThat(VectorStores.kind(StandaloneConfig.of(Map.of("pagestream.store.type", " Qdrant ")).store()))
                .isEqualTo(VectorStores.Kind.QDRANT);
    }

    @Test
    void unknownTypeNamesTheSettingAndTheChoices() {
        assertThatThrownBy(() -> VectorStores.kind(StandaloneConfig.of(Map.of("pagestream.store.type", "milvus")).store()))
                .hasMessageContaining("pagestream.store.type").hasMessageContaining("milvus")
                .hasMessageContaining("auto, embedded or qdrant");
    }
}
