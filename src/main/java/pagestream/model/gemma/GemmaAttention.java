package pagestream.model.gemma;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import pagestream.model.nn.EagerAttention;
import pagestream.model.nn.LinearLayer;
import pagestream.model.nn.LoadContext;

/**
 * {@code GemmaAttention}: grouped-query attention (Hq query heads share Hkv key/value heads) with rotary position
 * embedding on q and k, scaling {@code head_dim^-0.5}, and PaliGemma's bidirectional mask (see
 * {@link GemmaModel#additiveMask}).
 */
public final class GemmaAttention {

    private final GemmaConfig config;
    private final float scaling;
    private final LinearLayer qkv; // q, k, v projections fused: [Hq·D + 2·Hkv·D, H]
    private final LinearLayer out; // o_proj [H, Hq·D]

    public GemmaAttention(GemmaConfig config, LoadContext ctx, String prefix) {
        this.config = config;
        this.scaling = (float) Math.pow(config.headDim(), -0.5); // self.scaling = config.head_dim**-0.5
        int h = config.hiddenSize();
        boolean bias = config.attentionBias();
        this.qkv = LinearLayer.fused(
                LinearLayer.load(ctx, prefix + "q_proj", h, config.queryDim(), bias),
                LinearLayer.load(ctx, prefix + "k_proj", h, config.keyValueDim(), bias),
                LinearLayer.load(ctx, prefix + "v_proj", h, config.keyValueDim(), bias));
        this.out = LinearLayer.load(ctx, prefix + "o_proj", config.queryDim(), h, bias);
    }

    /**
     * @param x    {@code [B, S, H]} (normed)
     * @param cos  {@code [S, D]} rotary table in the compute dtype
     * @param sin  {@code [S, D]}
     * @param mask additive {@code [B, 1, 1, S]} float32, or null when no key is padding
     * @return {@code [B, S, H]} in the compute dtype
     */
    public NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask) {
        long b = x.getShape().get(0);
        long s = x.getShape().get(1);
        int d = config.headDim();
        long qd = config.queryDim();
        long kvd = config.keyValueDim();
        long hq = config.numAttentionHeads();
        long hkv = config.numKeyValueHeads();
        NDArray fused = qkv.apply(x); // [B, S, Hq·D + 2·Hkv·D]
        // The q and k heads lie side by side in the fused output, so one rotary pass embeds both (the same
        // elementwise arithmetic per head as rotating q and k apart, with half the ops):
        // [B, S, (Hq + Hkv)·D] -> [B, S, Hq + Hkv, D]
        NDArray qk = LinearLayer.slice(fused, 0, qd + kvd).reshape(b, s, hq + hkv, d);
        NDArray qkr = GemmaRotaryEmbedding.apply(qk, cos, sin); // [B, S, Hq + Hkv, D]
        NDArray qr = qkr.get(new NDIndex().addAllDim(2).addSliceDim(0, hq)); // [B, S, Hq, D]
        NDArray kr = qkr.get(new NDIndex().addAllDim(2).addSliceDim(hq, hq + hkv)); // [B, S, Hkv, D]
        // [B, S, Hkv·D] -> [B, S, Hkv, D]
        NDArray v = LinearLayer.slice(fused, qd + kvd, qd + 2 * kvd).reshape(b, s, hkv, d);
        NDArray ctx = EagerAttention.attend(qr, kr, v, mask, scaling); // [B, S, Hq·D]
        return out.apply(ctx);
    }
}
