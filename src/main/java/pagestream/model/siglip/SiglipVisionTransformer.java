package pagestream.model.siglip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import pagestream.model.nn.DebugTap;
import pagestream.model.nn.LoadContext;

/**
 * {@code SiglipVisionTransformer} as PaliGemma uses it: embeddings, encoder, {@code post_layernorm}. The pooling
 * head is never read by PaliGemma ({@code last_hidden_state} only), and ColPali checkpoints have none.
 */
public final class SiglipVisionTransformer {

    /** Canonical checkpoint prefix of the vision tower. */
    public static final String PREFIX = "vlm.vision_tower.vision_model.";

    private final SiglipVisionConfig config;
    private final SiglipVisionEmbeddings embeddings;
    private final SiglipEncoder encoder;
    private final NDArray postLnWeight;
    private final NDArray postLnBias;

    public SiglipVisionTransformer(SiglipVisionConfig config, LoadContext ctx) {
        this.config = config;
        this.embeddings = new SiglipVisionEmbeddings(config, ctx, PREFIX + "embeddings.");
        this.encoder = new SiglipEncoder(config, ctx, PREFIX + "encoder.");
        this.postLnWeight = ctx.float32(PREFIX + "post_layernorm.weight", config.hiddenSize());
        this.postLnBias = ctx.float32(PREFIX + "post_layernorm.bias", config.hiddenSize());
    }

    /** {@code [B, C, H, W]} -> {@code last_hidden_state [B, N, Dv]} float32. */
    public NDArray forward(NDArray pixelValues, DebugTap tap) {
        NDArray emb = embeddings.forward(pixelValues);
        tap.record("vision_embeddings", emb);
        NDArray h = encoder.forward(emb, tap);
        emb.close();
        NDArray out = LayerNorm.layerNorm(h, new Shape(config.hiddenSize()), postLnWeight, postLnBias,
                (float) config.layerNormEps()).singletonOrThrow();
        h.close();
        tap.record("vision_last_hidden_state", out);
        return out;
    }
}
