package pagestream.model.colpali;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import pagestream.model.ModelConfigException;
import pagestream.model.nn.JsonFields;
import pagestream.model.paligemma.PaliGemmaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A ColPali checkpoint's {@code config.json}, as transformers v4.57.6 {@code ColPaliConfig} resolves it. The model is
 * built from {@code vlm_config} alone ({@code ColPaliForRetrieval} calls {@code from_config(config.vlm_config)});
 * the top-level {@code text_config} copy is informational and ignored here.
 */
public record ColPaliConfig(PaliGemmaConfig vlmConfig, int embeddingDim) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads {@code modelDir/config.json}; errors name the file and field. */
    public static ColPaliConfig load(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ModelConfigException(file + " does not exist (expected a ColPali checkpoint directory)", e);
        } catch (IOException e) {
            throw new ModelConfigException(file + " is not readable JSON: " + e.getMessage(), e);
        }
        return fromJson(root, file.toString());
    }

    public static ColPaliConfig fromJson(JsonNode root, String where) {
        JsonFields f = new JsonFields(root, where);
        String type = f.stringOr("model_type", "");
        if (type.equals("paligemma")) {
            // colpali-engine's checkpoints (e.g. vidore/colpaligemma-3b-pt-448-base, the base of vidore/colpali-v1.3)
            // store the PaliGemma config itself; their projection head custom_text_proj is 128-d (ColPali.dim).
            return new ColPaliConfig(PaliGemmaConfig.fromJson(root, where), f.positive("embedding_dim", f.intOr("embedding_dim", 128)));
        }
        if (!type.equals("colpali")) {
            throw f.error("model_type is '" + type + "', expected 'colpali' (a ColPaliForRetrieval checkpoint)");
        }
        if (f.has("vlm_config") && !new JsonFields(f.object("vlm_config"), where).has("model_type")) {
            // The reference raises KeyError here rather than guessing the backbone.
            throw f.error("vlm_config has no model_type");
        }
        PaliGemmaConfig vlm = PaliGemmaConfig.fromJson(f.object("vlm_config"), where + " vlm_config");
        int dim = f.positive("embedding_dim", f.intOr("embedding_dim", 128));
        return new ColPaliConfig(vlm, dim);
    }
}
