package pagestream.model.siglip;

import com.fasterxml.jackson.databind.JsonNode;
import pagestream.model.nn.Activation;
import pagestream.model.nn.JsonFields;

/**
 * SigLIP vision tower settings ({@code vlm_config.vision_config}). Absent fields take the defaults of
 * transformers v4.57.6 {@code SiglipVisionConfig.__init__}; PaliGemma substitutes its own preset when the whole
 * object is absent ({@link #paliGemmaDefault()}).
 *
 * @param projectionDim set by PaliGemma to its {@code projection_dim} (the projector's output width)
 * @param numPatches    derived: {@code (imageSize / patchSize)²}
 * @param headDim       derived: {@code hiddenSize / numAttentionHeads}
 */
public record SiglipVisionConfig(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numChannels,
        int imageSize,
        int patchSize,
        Activation hiddenAct,
        double layerNormEps,
        boolean visionUseHead,
        int projectionDim,
        int numPatches,
        int headDim) {

    /** Reads the object; {@code projectionDim} comes from the enclosing PaliGemma config. */
    public static SiglipVisionConfig fromJson(JsonNode node, String where, int projectionDim) {
        JsonFields f = new JsonFields(node, where);
        // Defaults: SiglipVisionConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
        // num_attention_heads=12, num_channels=3, image_size=224, patch_size=16, hidden_act="gelu_pytorch_tanh",
        // layer_norm_eps=1e-6); SiglipVisionTransformer: use_head = getattr(config, "vision_use_head", True).
        return of(f,
                f.intOr("hidden_size", 768),
                f.intOr("intermediate_size", 3072),
                f.intOr("num_hidden_layers", 12),
                f.intOr("num_attention_heads", 12),
                f.intOr("num_channels", 3),
                f.intOr("image_size", 224),
                f.intOr("patch_size", 16),
                Activation.fromConfig(f.stringOr("hidden_act", "gelu_pytorch_tanh"), f),
                f.doubleOr("layer_norm_eps", 1e-6),
                f.boolOr("vision_use_head", true),
                projectionDim);
    }

    /** PaliGemmaConfig's vision preset when {@code vision_config} is absent (PaliGemma-3B-224). */
    public static SiglipVisionConfig paliGemmaDefault(int projectionDim) {
        JsonFields f = new JsonFields(null, "vision_config (PaliGemma default)");
        return of(f, 1152, 4096, 27, 16, 3, 224, 14, Activation.GELU_TANH, 1e-6, false, projectionDim);
    }

    private static SiglipVisionConfig of(JsonFields f, int hidden, int intermediate, int layers, int heads,
            int channels, int imageSize, int patchSize, Activation act, double eps, boolean useHead, int projectionDim) {
        f.positive("hidden_size", hidden);
        f.positive("intermediate_size", intermediate);
        f.positive("num_hidden_layers", layers);
        f.positive("num_attention_heads", heads);
        f.positive("num_channels", channels);
        f.positive("image_size", imageSize);
        f.positive("patch_size", patchSize);
        if (hidden % heads != 0) {
            throw f.error("hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        }
        if (imageSize % patchSize != 0) {
            // The Conv2d patch embedding would silently drop the border; the position table would not match.
            throw f.error("image_size " + imageSize + " is not a multiple of patch_size " + patchSize);
        }
        int grid = imageSize / patchSize;
        return new SiglipVisionConfig(hidden, intermediate, layers, heads, channels, imageSize, patchSize, act, eps,
                useHead, projectionDim, grid * grid, hidden / heads);
    }

    /** Patches per side of the square grid. */
    public int gridSize() {
        return imageSize / patchSize;
    }
}
