package pagestream.model.paligemma;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import pagestream.model.gemma.GemmaModel;
import pagestream.model.nn.DebugTap;
import pagestream.model.nn.LoadContext;
import pagestream.model.siglip.SiglipVisionTransformer;

/**
 * {@code PaliGemmaModel}: SigLIP image features, projected and scaled by {@code 1/sqrt(text_hidden)}, replace the
 * {@code <image>} token embeddings in order; the Gemma decoder runs over the merged sequence.
 */
public final class PaliGemmaModel {

    private final PaliGemmaConfig config;
    private final SiglipVisionTransformer visionTower;
    private final PaliGemmaMultiModalProjector projector;
    private final GemmaModel languageModel;

    public PaliGemmaModel(PaliGemmaConfig config, LoadContext ctx) {
        this.config = config;
        this.visionTower = new SiglipVisionTransformer(config.visionConfig(), ctx);
        this.projector = new PaliGemmaMultiModalProjector(config, ctx);
        this.languageModel = new GemmaModel(config.textConfig(), ctx);
    }

    /**
     * {@code get_image_features}: {@code [B, C, H, W]} -> {@code [B, N, H]} in the compute dtype, already divided by
     * {@code sqrt(text_hidden)} (a Python float, so the division is by that value rounded to the tensor's dtype).
     */
    public NDArray imageFeatures(NDArray pixelValues, DebugTap tap) {
        NDArray vision = visionTower.forward(pixelValues, tap);
        NDArray projected = projector.forward(vision);
        vision.close();
        tap.record("projector_output", projected);
        NDArray scaled = projected.divi((float) Math.sqrt(config.textConfig().hiddenSize()));
        tap.record("features_scaled", scaled);
        return scaled;
    }

    /**
     * The decoder's last hidden state.
     *
     * @param pixelValues   {@code [Bi, C, H, W]} or null for a text-only batch
     * @param inputIds      {@code [B, S]} int64; its {@code <image>} positions (Bi·N of them) take the image features
     * @param attentionMask {@code [B, S]}
     * @return {@code [B, S, H]} float32
     */
    public NDArray forward(NDArray pixelValues, NDArray inputIds, NDArray attentionMask, DebugTap tap) {
        long b = inputIds.getShape().get(0);
        long s = inputIds.getShape().get(1);
        long[] ids = inputIds.toLongArray();
        int imageToken = config.imageTokenIndex();
        int vocab = config.textConfig().vocabSize();
        long[] lookupIds = new long[ids.length];
        long[] mergeIndex = new long[ids.length];
        long imagePositions = 0;
        for (int p = 0; p < ids.length; p++) {
            boolean image = ids[p] == imageToken;
            if (!image && (ids[p] < 0 || ids[p] >= vocab)) {
                throw new IllegalArgumentException("input_ids[" + p / s + ", " + p % s + "] = " + ids[p]
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
            // <image> positions are looked up as id 0 (the reference does this when the id is past the table)
            // and then overwritten: row B·S + k of the merged table below is the k-th image feature.
            lookupIds[p] = image ? 0 : ids[p];
            mergeIndex[p] = image ? b * s + imagePositions++ : p;
        }
        NDManager scope = inputIds.getManager();
        long features = pixelValues == null ? 0 : pixelValues.getShape().get(0) * config.numImageTokens();
        if (imagePositions != features) {
            // Reference: "Image features and image tokens do not match".
            throw new IllegalArgumentException("input_ids hold " + imagePositions + " <image> tokens (id " + imageToken
                    + ") but pixel_values give " + features + " image features ("
                    + config.numImageTokens() + " per image)");
        }

        NDArray embeds;
        try (NDArray lookup = scope.create(lookupIds, inputIds.getShape())) {
            embeds = languageModel.embed(lookup); // [B, S, H]
        }
        if (pixelValues != null) {
            NDArray image = imageFeatures(pixelValues, tap); // [Bi, N, H]
            int h = config.textConfig().hiddenSize();
            // masked_scatter equivalent, batched: stack token rows and feature rows, then gather by mergeIndex.
            NDArray table = embeds.reshape(b * s, h).concat(image.reshape(features, h), 0); // [B·S + Bi·N, H]
            NDArray merged;
            try (NDArray index = scope.create(mergeIndex)) {
                merged = table.get(new NDIndex("{}", index)).reshape(b, s, h); // [B, S, H]
            }
            table.close();
            image.close();
            embeds.close();
            embeds = merged;
        }
        NDArray hidden = languageModel.forward(embeds, attentionMask, tap);
        embeds.close();
        return hidden;
    }
}
