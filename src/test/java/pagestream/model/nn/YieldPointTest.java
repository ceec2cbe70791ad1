package pagestream.model.nn;

import org.junit.jupiter.api.Test;
import pagestream.embed.Device;
import pagestream.model.ColPaliModel;
import pagestream.model.ModelOptions;
import pagestream.model.processor.RgbImage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The layer boundaries of the real forward pass on tiny-a, as the embedding executor's page lane sees them. */
class YieldPointTest {

    @Test
    void aPageForwardReachesOneYieldPointPerEncoderAndDecoderLayerAndAQueryOnePerDecoderLayer() {
        try (ColPaliModel model = ColPaliModel.load(Path.of("src/test/resources/golden/tiny-a"),
                ModelOptions.defaults().withDevice(Device.CPU))) {
            int visionLayers = model.config().vlmConfig().visionConfig().numHiddenLayers();
            int decoderLayers = model.config().vlmConfig().textConfig().numHiddenLayers();
            RgbImage page = new RgbImage(56, 56, new byte[56 * 56 * 3]);

            AtomicInteger pageBoundaries = new AtomicInteger();
            YieldPoint.during(pageBoundaries::incrementAndGet, () -> model.embedImages(List.of(page, page)));
            AtomicInteger queryBoundaries = new AtomicInteger();
            YieldPoint.during(queryBoundaries::incrementAndGet, () -> model.embedQueries(List.of("a query")));

            assertThat(pageBoundaries).hasValue(visionLayers + decoderLayers);
            assertThat(queryBoundaries).hasValue(decoderLayers);
        }
    }

    @Test
    void theHookBelongsToItsThreadAndTheOuterHookIsBackAfterANestedOne() throws Exception {
        List<String> calls = new ArrayList<>();
        YieldPoint.reached(); // no hook: nothing happens
        YieldPoint.during(() -> calls.add("outer"), () -> {
            YieldPoint.during(() -> calls.add("inner"), () -> {
                YieldPoint.reached();
                return null;
            });
            YieldPoint.reached();
            Thread other = new Thread(YieldPoint::reached);
            other.start();
            try {
                other.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return null;
        });
        YieldPoint.reached();
        assertThat(calls).containsExactly("inner", "outer");
    }
}
