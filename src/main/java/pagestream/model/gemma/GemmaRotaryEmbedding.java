package pagestream.model.gemma;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import pagestream.model.nn.LinearLayer;

/**
 * {@code GemmaRotaryEmbedding} with the rotate-half convention: {@code inv_freq = 1 / theta^(2i/D)} (float32),
 * angles {@code pos · inv_freq}, {@code emb = cat(freqs, freqs)}, tables {@code cos(emb)}, {@code sin(emb)} cast to
 * the activation dtype. PaliGemma's position ids are {@code 1..S} (1-based) and not shifted for padding.
 */
public final class GemmaRotaryEmbedding {

    private final int headDim;
    private final float theta;

    public GemmaRotaryEmbedding(GemmaConfig config) {
        this.headDim = config.headDim();
        this.theta = (float) config.ropeTheta();
    }

    /** The cos and sin tables {@code [S, D]} for positions {@code 1..S}, on {@code manager}, in {@code type}. */
    public NDList tables(NDManager manager, int seqLen, DataType type) {
        // inv_freq = 1.0 / (base ** (arange(0, D, 2).float() / D)), all float32 torch ops as in the reference.
        NDArray exponent = manager.arange(0, headDim, 2, DataType.FLOAT32).divi(headDim); // [D/2]
        NDArray base = manager.full(exponent.getShape(), theta).pow(exponent); // theta ** exponent
        NDArray invFreq = base.onesLike().divi(base); // 1.0 / base (torch: reciprocal)
        NDArray positions = manager.arange(1, seqLen + 1, 1, DataType.FLOAT32).reshape(seqLen, 1); // [S, 1]
        NDArray freqs = positions.mul(invFreq.reshape(1, headDim / 2)); // [S, D/2]; = inv_freq @ position_ids
        NDArray emb = freqs.concat(freqs, 1); // [S, D]
        return new NDList(emb.cos().toType(type, false), emb.sin().toType(type, false));
    }

    /**
     * {@code x · cos + rotate_half(x) · sin} with {@code rotate_half(x) = cat(-x₂, x₁)}.
     *
     * @param x   {@code [B, S, H, D]}
     * @param cos {@code [S, D]}
     * @param sin {@code [S, D]}
     */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        long d = x.getShape().get(3);
        long s = x.getShape().get(1);
        // cos/sin [S, D] -> [1, S, 1, D] (unsqueeze over the head axis, which sits after S in this layout)
        NDArray c = cos.reshape(1, s, 1, d);
        NDArray sn = sin.reshape(1, s, 1, d);
        NDArray x1 = LinearLayer.slice(x, 0, d / 2);
        NDArray x2 = LinearLayer.slice(x, d / 2, d);
        NDArray rotated = x2.neg().concat(x1, -1); // [B, S, H, D]
        NDArray out = x.mul(c).addi(rotated.muli(sn));
        rotated.close();
        return out;
    }
}
