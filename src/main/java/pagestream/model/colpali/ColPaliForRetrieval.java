package pagestream.model.colpali;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import pagestream.model.checkpoint.Weights;
import pagestream.model.nn.DebugTap;
import pagestream.model.nn.LinearLayer;
import pagestream.model.nn.LoadContext;
import pagestream.model.paligemma.PaliGemmaModel;

/**
 * {@code ColPaliForRetrieval}: PaliGemma's last hidden state, projected to {@code embedding_dim} (Linear with bias),
 * L2-normalised per position WITHOUT an epsilon ({@code e / e.norm(dim=-1, keepdim=True)}), then multiplied by the
 * attention mask so padding rows are exactly zero. Every position is returned, prompt tokens included.
 *
 * <p>Parameters live in a manager owned by this object. Each forward call's inputs decide where the results and
 * temporaries go: callers create inputs in a per-batch {@link NDManager} and close it after reading the result.
 * Not thread-safe: one forward at a time.
 */
public final class ColPaliForRetrieval implements AutoCloseable {

    /** Canonical checkpoint prefix of the projection head. */
    public static final String PROJ_PREFIX = "embedding_proj_layer";

    private final ColPaliConfig config;
    private final NDManager manager;
    private final DataType computeType;
    private final PaliGemmaModel vlm;
    private final LinearLayer embeddingProj;

    private ColPaliForRetrieval(ColPaliConfig config, NDManager manager, DataType computeType, PaliGemmaModel vlm,
            LinearLayer embeddingProj) {
        this.config = config;
        this.manager = manager;
        this.computeType = computeType;
        this.vlm = vlm;
        this.embeddingProj = embeddingProj;
    }

    /**
     * Builds the model from {@code weights} into a new child of {@code parent} (which fixes the device), matmul
     * weights in {@code computeType} (FLOAT32 or FLOAT16). Fails with a {@code CheckpointException} naming the key
     * when a tensor is missing, mis-shaped, or left unused.
     */
    public static ColPaliForRetrieval load(ColPaliConfig config, Weights weights, NDManager parent,
            DataType computeType) {
        if (computeType != DataType.FLOAT32 && computeType != DataType.FLOAT16) {
            throw new IllegalArgumentException("compute dtype must be FLOAT32 or FLOAT16, got " + computeType);
        }
        NDManager manager = parent.newSubManager();
        try {
            LoadContext ctx = new LoadContext(weights, manager, computeType);
            PaliGemmaModel vlm = new PaliGemmaModel(config.vlmConfig(), ctx);
            LinearLayer proj = LinearLayer.load(ctx, PROJ_PREFIX, config.vlmConfig().textConfig().hiddenSize(),
                    config.embeddingDim(), true);
            weights.checkAllUsed();
            return new ColPaliForRetrieval(config, manager, computeType, vlm, proj);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public ColPaliConfig config() {
        return config;
    }

    public DataType computeType() {
        return computeType;
    }

    /** Page batch: {@code pixelValues [B, 3, S, S]}, {@code inputIds}/{@code attentionMask [B, L]} -> [B, L, dim]. */
    public NDArray forward(NDArray pixelValues, NDArray inputIds, NDArray attentionMask) {
        return forward(pixelValues, inputIds, attentionMask, DebugTap.OFF);
    }

    /** Query batch (no image): {@code inputIds}/{@code attentionMask [B, L]} -> {@code [B, L, dim]}. */
    public NDArray forwardText(NDArray inputIds, NDArray attentionMask) {
        return forward(null, inputIds, attentionMask, DebugTap.OFF);
    }

    /**
     * The full forward pass with a debug tap.
     *
     * @param pixelValues   {@code [Bi, 3, S, S]} float (any float dtype) or null; Bi·N must equal the number of
     *                      {@code <image>} ids in {@code inputIds}
     * @param inputIds      {@code [B, L]} int64
     * @param attentionMask {@code [B, L]} (int64 or float; 1 = token, 0 = padding)
     * @return L2-normalised embeddings {@code [B, L, dim]} float32, on the manager of {@code inputIds}
     */
    public NDArray forward(NDArray pixelValues, NDArray inputIds, NDArray attentionMask, DebugTap tap) {
        Shape ids = inputIds.getShape();
        if (ids.dimension() != 2 || !attentionMask.getShape().equals(ids)) {
            throw new IllegalArgumentException("input_ids " + ids + " and attention_mask " + attentionMask.getShape()
                    + " must both be [batch, length]");
        }
        if (inputIds.getDataType() != DataType.INT64) {
            throw new IllegalArgumentException("input_ids must be INT64, got " + inputIds.getDataType());
        }
        NDArray hidden = vlm.forward(pixelValues, inputIds, attentionMask, tap); // [B, L, H] float32
        NDArray raw = embeddingProj.apply(hidden).toType(DataType.FLOAT32, false); // [B, L, dim]
        hidden.close();
        tap.record("proj_raw", raw);
        NDArray norm = raw.norm(new int[] {-1}, true); // [B, L, 1]
        NDArray mask = attentionMask.toType(DataType.FLOAT32, false).expandDims(-1); // [B, L, 1]
        NDArray embeddings = raw.div(norm).muli(mask);
        raw.close();
        norm.close();
        mask.close();
        tap.record("embeddings", embeddings);
        return embeddings;
    }

    @Override
    public void close() {
        manager.close();
    }
}
