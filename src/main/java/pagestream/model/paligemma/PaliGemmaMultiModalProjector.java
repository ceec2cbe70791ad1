package pagestream.model.paligemma;

import ai.djl.ndarray.NDArray;
import pagestream.model.nn.LinearLayer;
import pagestream.model.nn.LoadContext;

/** {@code PaliGemmaMultiModalProjector}: one biased Linear from the vision width to {@code projection_dim}. */
public final class PaliGemmaMultiModalProjector {

    /** Canonical checkpoint prefix of the projector. */
    public static final String PREFIX = "vlm.multi_modal_projector.linear";

    private final LinearLayer linear;

    public PaliGemmaMultiModalProjector(PaliGemmaConfig config, LoadContext ctx) {
        this.linear = LinearLayer.load(ctx, PREFIX, config.visionConfig().hiddenSize(), config.projectionDim(), true);
    }

    /** {@code [B, N, Dv]} -> {@code [B, N, H]} in the compute dtype. */
    public NDArray forward(NDArray visionHidden) {
        return linear.apply(visionHidden);
    }
}
