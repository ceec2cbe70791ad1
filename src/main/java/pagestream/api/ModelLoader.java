package pagestream.api;

import org.jboss.logging.Logger;
import pagestream.PageStreamConfig;
import pagestream.embed.Device;
import pagestream.model.ColPaliModel;
import pagestream.model.ModelOptions;
import pagestream.model.hub.HubOptions;
import pagestream.model.hub.ModelSource;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads {@code pagestream.model} (a checkpoint directory or a Hugging Face repo id) on {@code pagestream.device}, and
 * warms it up ({@link ColPaliModel#warmUp()}).
 */
public final class ModelLoader {

    private static final Logger LOG = Logger.getLogger(ModelLoader.class);

    private ModelLoader() {
    }

    public static ColPaliModel load(PageStreamConfig config) {
        Device device = Device.parse(config.device());
        // ModelSource's own errors (no such directory, not downloadable) already say how to get a model.
        HubOptions hub = HubOptions.from(config.hub());
        Path dir = ModelSource.resolve(config.model(), hub);
        // A repo id names the model in replies and logs; a directory is named by its folder.
        String id = Files.isDirectory(Path.of(config.model())) ? null : config.model();
        ModelOptions options = ModelOptions.defaults().withId(id).withDevice(device)
                .withMaxBatch(Math.max(config.batch().maxSize(), config.batch().maxQueryBatch()));
        ColPaliModel model;
        try {
            model = ColPaliModel.load(dir, options, base -> ModelSource.resolve(base, hub));
        } catch (RuntimeException e) {
            throw new IllegalStateException("Cannot load the model in " + dir + " (pagestream.model=" + config.model()
                    + "): " + e.getMessage() + "\n" + ModelSource.HOW_TO_GET_A_MODEL, e);
        }
        try {
            // Before the service is ready: the first user query would otherwise pay the process's first-call costs.
            LOG.infof("Model %s warmed up with a query batch in %d ms", model.id(), model.warmUp().toMillis());
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
