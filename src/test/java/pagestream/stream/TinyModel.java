package pagestream.stream;

import pagestream.model.ColPaliModel;
import pagestream.embed.Device;
import pagestream.model.ModelOptions;

import java.nio.file.Path;

/** The tiny real ColPali checkpoint of the golden fixtures (56x56 images, 16-d vectors), loaded once per JVM. */
final class TinyModel {

    static final Path DIR = Path.of("src/test/resources/golden/tiny-a");

    private static ColPaliModel model;

    private TinyModel() {
    }

    /** Shared by every test class; the JVM's exit releases it. */
    static synchronized ColPaliModel get() {
        if (model == null) {
            model = ColPaliModel.load(DIR, ModelOptions.defaults().withDevice(Device.CPU));
        }
        return model;
    }
}
