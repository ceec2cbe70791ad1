package pagestream.model.gemma;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import pagestream.model.nn.LoadContext;
import pagestream.model.nn.Scopes;

/**
 * {@code GemmaDecoderLayer}: {@code x + o_proj(attn(RMSNorm(x)))}, then {@code x + mlp(RMSNorm(x))}. The residual
 * stream is float32 (on CUDA the matmuls run in float16; Gemma's residual magnitudes do not fit float16 safely).
 */
public final class GemmaDecoderLayer {

    private final GemmaRMSNorm inputLayernorm;
    private final GemmaAttention selfAttn;
    private final GemmaRMSNorm postAttentionLayernorm;
    private final GemmaMLP mlp;

    public GemmaDecoderLayer(GemmaConfig config, LoadContext ctx, String prefix) {
        int h = config.hiddenSize();
        this.inputLayernorm = new GemmaRMSNorm(ctx, prefix + "input_layernorm.weight", h, config.rmsNormEps());
        this.selfAttn = new GemmaAttention(config, ctx, prefix + "self_attn.");
        this.postAttentionLayernorm =
                new GemmaRMSNorm(ctx, prefix + "post_attention_layernorm.weight", h, config.rmsNormEps());
        this.mlp = new GemmaMLP(config, ctx, prefix + "mlp.");
    }

    /** {@code [B, S, H]} float32 -> {@code [B, S, H]} float32; temporaries freed on return. */
    public NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask) {
        return Scopes.scoped(x, in -> {
            NDArray attn = selfAttn.forward(inputLayernorm.forward(in), cos, sin, mask);
            NDArray h = in.add(attn.toType(DataType.FLOAT32, false));
            return h.addi(mlp.forward(postAttentionLayernorm.forward(h)).toType(DataType.FLOAT32, false));
        });
    }
}
