package pagestream.model.paligemma;

import com.fasterxml.jackson.databind.JsonNode;
import pagestream.model.gemma.GemmaConfig;
import pagestream.model.nn.JsonFields;
import pagestream.model.siglip.SiglipVisionConfig;

/**
 * PaliGemma settings ({@code vlm_config}), as transformers v4.57.6 {@code PaliGemmaConfig.__init__} resolves them:
 * absent sub-configs take PaliGemma's presets, {@code vision_config.projection_dim} is overwritten by
 * {@code projection_dim}, and {@code text_config.num_image_tokens} by {@code (image_size / patch_size)²}.
 *
 * @param numImageTokens derived: {@code <image>} tokens per page = vision patches
 */
public record PaliGemmaConfig(
        SiglipVisionConfig visionConfig,
        GemmaConfig textConfig,
        int imageTokenIndex,
        int projectionDim,
        int numImageTokens) {

    public static PaliGemmaConfig fromJson(JsonNode node, String where) {
        JsonFields f = new JsonFields(node, where);
        String type = f.stringOr("model_type", "paligemma");
        if (!type.equals("paligemma")) {
            throw f.error("model_type '" + type + "' is not supported as the ColPali backbone (expected paligemma)");
        }
        int imageTokenIndex = f.intOr("image_token_index", 256000);
        int vocabSize = f.intOr("vocab_size", 257152);
        int projectionDim = f.positive("projection_dim", f.intOr("projection_dim", 2048));
        SiglipVisionConfig vision = f.has("vision_config")
                ? SiglipVisionConfig.fromJson(f.object("vision_config"), where + ".vision_config", projectionDim)
                : SiglipVisionConfig.paliGemmaDefault(projectionDim);
        GemmaConfig text = f.has("text_config")
                ? GemmaConfig.fromJson(f.object("text_config"), where + ".text_config")
                : GemmaConfig.paliGemmaDefault(vocabSize);
        if (projectionDim != text.hiddenSize()) {
            // Projected image features replace token embeddings, so the widths must agree.
            throw f.error("projection_dim " + projectionDim + " differs from text_config.hidden_size "
                    + text.hiddenSize());
        }
        if (imageTokenIndex < 0) {
            throw f.error("image_token_index must be >= 0, got " + imageTokenIndex);
        }
        return new PaliGemmaConfig(vision, text, imageTokenIndex, projectionDim, vision.numPatches());
    }
}
