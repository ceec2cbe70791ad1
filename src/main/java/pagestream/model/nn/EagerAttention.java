package pagestream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The reference's {@code eager_attention_forward} (SigLIP and Gemma share it): {@code softmax(q kᵀ · scale + mask)
 * v}, softmax in float32. There is no fused SDPA op in DJL, so it is two batched 4-D matmuls.
 *
 * <p>Grouped-query attention without copying key/value heads: transformers' {@code repeat_kv} gives query head
 * {@code h} the key/value head {@code h / G} (G = query heads per kv head). Folding the G query heads of one kv head
 * into the row axis ({@code [B, Hkv, G·S, D]}) lets one matmul against the un-repeated {@code [B, Hkv, D, S]} keys
 * do the same arithmetic.
 *
 * <p>Legend: B batch, S sequence, Hq query heads, Hkv key/value heads, G = Hq/Hkv, D head size.
 */
public final class EagerAttention {

    private EagerAttention() {
    }

    /**
     * @param q       {@code [B, S, Hq, D]}
     * @param k       {@code [B, S, Hkv, D]}
     * @param v       {@code [B, S, Hkv, D]}
     * @param mask    additive float32 mask broadcastable to {@code [B, Hkv, G·S, S]} (here {@code [B, 1, 1, S]}:
     *                it depends on the key only), or null
     * @param scaling {@code head_dim^-0.5}
     * @return {@code [B, S, Hq·D]} in q's dtype
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, float scaling) {
        long b = q.getShape().get(0);
        long s = q.getShape().get(1);
        long hq = q.getShape().get(2);
        long d = q.getShape().get(3);
        long hkv = k.getShape().get(2);
        long g = hq / hkv;
        DataType type = q.getDataType();

        // q [B, S, Hq, D] -> [B, S, Hkv, G, D] -> transpose -> [B, Hkv, G, S, D] -> [B, Hkv, G·S, D]
        NDArray qg = q.reshape(b, s, hkv, g, d).transpose(0, 2, 3, 1, 4).reshape(b, hkv, g * s, d);
        // k [B, S, Hkv, D] -> transpose -> [B, Hkv, D, S] (= key_states.transpose(2, 3))
        NDArray kt = k.transpose(0, 2, 3, 1);
        // v [B, S, Hkv, D] -> transpose -> [B, Hkv, S, D]
        NDArray vt = v.transpose(0, 2, 1, 3);

        NDArray scores = qg.matMul(kt); // [B, Hkv, G·S, S]
        NDArray scores32 = scores.toType(DataType.FLOAT32, false);
        // Reference order: matmul(q, kᵀ) * scaling, then + mask, then softmax(dtype=float32).to(q.dtype).
        scores32.muli(scaling);
        if (mask != null) {
            scores32.addi(mask);
        }
        NDArray probs = scores32.softmax(-1).toType(type, false); // [B, Hkv, G·S, S]
        NDArray ctx = probs.matMul(vt); // [B, Hkv, G·S, D]
        // [B, Hkv, G·S, D] -> [B, Hkv, G, S, D] -> transpose -> [B, S, Hkv, G, D] -> [B, S, Hq·D]
        return ctx.reshape(b, hkv, g, s, d).transpose(0, 3, 1, 2, 4).reshape(b, s, hq * d);
    }
}
