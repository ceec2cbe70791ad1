package pagestream.model.siglip;

import ai.djl.ndarray.NDArray;
import pagestream.model.nn.EagerAttention;
import pagestream.model.nn.LinearLayer;
import pagestream.model.nn.LoadContext;

/** {@code SiglipAttention}: multi-head self-attention with biased q/k/v/out projections, no mask. */
public final class SiglipAttention {

    private final int heads;
    private final int headDim;
    private final float scaling;
    private final LinearLayer qkv; // q, k, v projections fused: [3·Dv, Dv]
    private final LinearLayer out;

    public SiglipAttention(SiglipVisionConfig config, LoadContext ctx, String prefix) {
        int d = config.hiddenSize();
        this.heads = config.numAttentionHeads();
        this.headDim = config.headDim();
        this.scaling = (float) Math.pow(headDim, -0.5); // self.scale = self.head_dim**-0.5
        this.qkv = LinearLayer.fused(
                LinearLayer.load(ctx, prefix + "q_proj", d, d, true),
                LinearLayer.load(ctx, prefix + "k_proj", d, d, true),
                LinearLayer.load(ctx, prefix + "v_proj", d, d, true));
        this.out = LinearLayer.load(ctx, prefix + "out_proj", d, d, true);
    }

    /** {@code [B, N, Dv]} (normed) -> {@code [B, N, Dv]} in the compute dtype. */
    public NDArray forward(NDArray x) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        long d = (long) heads * headDim;
        NDArray fused = qkv.apply(x); // [B, N, 3·Dv]
        // each [B, N, Dv] -> [B, N, H, D]
        NDArray q = LinearLayer.slice(fused, 0, d).reshape(b, n, heads, headDim);
        NDArray k = LinearLayer.slice(fused, d, 2 * d).reshape(b, n, heads, headDim);
        NDArray v = LinearLayer.slice(fused, 2 * d, 3 * d).reshape(b, n, heads, headDim);
        NDArray ctx = EagerAttention.attend(q, k, v, null, scaling); // [B, N, Dv]
        return out.apply(ctx);
    }
}
