package pagestream.api;

import pagestream.model.ColPaliModel;
import pagestream.model.MultiVector;
import pagestream.model.processor.RgbImage;

import java.util.List;
import java.util.Map;

/** The tiny golden model, loaded the way the service loads it, used directly to compute expected embeddings. */
final class TestModel implements AutoCloseable {

    private final ColPaliModel model;

    private TestModel(ColPaliModel model) {
        this.model = model;
    }

    static TestModel load(String dir) {
        return new TestModel(ModelLoader.load(StandaloneConfig.of(Map.of("pagestream.model", dir, "pagestream.device", "cpu"))));
    }

    ColPaliModel model() {
        return model;
    }

    MultiVector embedImage(RgbImage image) {
        return model.embedImages(List.of(image)).get(0);
    }

    MultiVector embedQuery(String query) {
        return model.embedQueries(List.of(query)).get(0);
    }

    @Override
    public void close() {
        model.close();
    }
}
