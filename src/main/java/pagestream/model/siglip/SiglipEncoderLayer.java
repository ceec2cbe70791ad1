package pagestream.model.siglip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import pagestream.model.nn.LoadContext;
import pagestream.model.nn.Scopes;

/**
 * {@code SiglipEncoderLayer}, pre-LN: {@code x + attn(LN1(x))}, then {@code x + mlp(LN2(x))}. The residual stream and
 * the LayerNorms stay float32; attention and MLP run in the compute dtype.
 */
public final class SiglipEncoderLayer {

    private final SiglipVisionConfig config;
    private final NDArray ln1Weight;
    private final NDArray ln1Bias;
    private final NDArray ln2Weight;
    private final NDArray ln2Bias;
    private final SiglipAttention attention;
    private final SiglipMLP mlp;

    public SiglipEncoderLayer(SiglipVisionConfig config, LoadContext ctx, String prefix) {
        this.config = config;
        int d = config.hiddenSize();
        this.ln1Weight = ctx.float32(prefix + "layer_norm1.weight", d);
        this.ln1Bias = ctx.float32(prefix + "layer_norm1.bias", d);
        this.ln2Weight = ctx.float32(prefix + "layer_norm2.weight", d);
        this.ln2Bias = ctx.float32(prefix + "layer_norm2.bias", d);
        this.attention = new SiglipAttention(config, ctx, prefix + "self_attn.");
        this.mlp = new SiglipMLP(config, ctx, prefix + "mlp.");
    }

    /** {@code [B, N, Dv]} float32 -> {@code [B, N, Dv]} float32; temporaries freed on return. */
    public NDArray forward(NDArray x) {
        return Scopes.scoped(x, in -> {
            NDArray h = in.add(attention.forward(layerNorm(in, ln1Weight, ln1Bias)).toType(DataType.FLOAT32, false));
            return h.addi(mlp.forward(layerNorm(h, ln2Weight, ln2Bias)).toType(DataType.FLOAT32, false));
        });
    }

    NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), weight, bias, (float) config.layerNormEps())
                .singletonOrThrow();
    }
}
