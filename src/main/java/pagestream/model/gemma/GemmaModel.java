package pagestream.model.gemma;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import pagestream.model.nn.DebugTap;
import pagestream.model.nn.LoadContext;
import pagestream.model.nn.YieldPoint;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code GemmaModel} as PaliGemma drives it: token embedding lookup, the {@code sqrt(hidden)} input scaling, the
 * decoder layers with 1-based positions and a bidirectional mask, and the final RMSNorm.
 */
public final class GemmaModel {

    /** Canonical checkpoint prefix of the decoder. */
    public static final String PREFIX = "vlm.language_model.model.";

    private final GemmaConfig config;
    private final DataType computeType;
    private final NDArray embedTokens; // [V, H] in the compute dtype
    private final float normalizer;
    private final GemmaRotaryEmbedding rotary;
    private final List<GemmaDecoderLayer> layers = new ArrayList<>();
    private final GemmaRMSNorm norm;

    public GemmaModel(GemmaConfig config, LoadContext ctx) {
        this.config = config;
        this.computeType = ctx.computeType();
        this.embedTokens = ctx.compute(PREFIX + "embed_tokens.weight", config.vocabSize(), config.hiddenSize());
        // normalizer = torch.tensor(hidden_size**0.5, dtype=hidden_states.dtype): the factor is rounded to the
        // activation dtype before the multiply (matters in float16: sqrt(2048) -> 45.25).
        try (NDArray n = ctx.manager().create((float) Math.sqrt(config.hiddenSize()))
                .toType(computeType, false).toType(DataType.FLOAT32, false)) {
            this.normalizer = n.getFloat();
        }
        this.rotary = new GemmaRotaryEmbedding(config);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new GemmaDecoderLayer(config, ctx, PREFIX + "layers." + i + "."));
        }
        this.norm = new GemmaRMSNorm(ctx, PREFIX + "norm.weight", config.hiddenSize(), config.rmsNormEps());
    }

    /**
     * {@code embed_tokens(ids)}: {@code [B, S]} int64 -> {@code [B, S, H]} in the compute dtype, on the ids' manager.
     * Callers replace ids that are not real vocabulary entries (e.g. an {@code <image>} id past the table) first.
     */
    public NDArray embed(NDArray inputIds) {
        long b = inputIds.getShape().get(0);
        long s = inputIds.getShape().get(1);
        NDArray flat = inputIds.reshape(b * s); // [B, S] -> [B·S]
        NDArray rows = embedTokens.get(inputIds.getManager(), new NDIndex("{}", flat)); // [B·S, H]
        return rows.reshape(b, s, config.hiddenSize());
    }

    /**
     * The decoder on ready input embeddings (image features already merged).
     *
     * @param inputsEmbeds  {@code [B, S, H]} in the compute dtype, before the {@code sqrt(hidden)} scaling
     * @param attentionMask {@code [B, S]} (1 = token, 0 = padding)
     * @return final-normed hidden states {@code [B, S, H]} float32
     */
    public NDArray forward(NDArray inputsEmbeds, NDArray attentionMask, DebugTap tap) {
        NDManager scope = inputsEmbeds.getManager();
        int s = (int) inputsEmbeds.getShape().get(1);
        tap.record("decoder_inputs_embeds", inputsEmbeds);
        // hidden_states * normalizer in the activation dtype, then the float32 residual stream.
        NDArray scaled = inputsEmbeds.mul(normalizer);
        NDArray h = scaled.toType(DataType.FLOAT32, false);
        if (h != scaled) {
            scaled.close();
        }
        tap.record("decoder_layer0_input", h);

        NDList rope = rotary.tables(scope, s, computeType);
        tap.record("rope_cos", rope.get(0));
        tap.record("rope_sin", rope.get(1));
        // Without padding the reference's mask is all zeros, and adding zeros changes no score: skip the pass
        // over the [B, Hkv, G·S, S] scores (every page batch is unpadded).
        NDArray mask = hasPadding(attentionMask) ? additiveMask(attentionMask) : null;
        for (int i = 0; i < layers.size(); i++) {
            NDArray next = layers.get(i).forward(h, rope.get(0), rope.get(1), mask);
            h.close();
            h = next;
            tap.record("decoder_layer" + i + "_output", h);
            YieldPoint.reached();
        }
        NDArray out = norm.forward(h);
        h.close();
        rope.close();
        if (mask != null) {
            mask.close();
        }
        tap.record("decoder_final_hidden", out);
        return out;
    }

    static boolean hasPadding(NDArray attentionMask) {
        try (NDArray zeros = attentionMask.eq(0); NDArray any = zeros.any()) {
            return any.getBoolean();
        }
    }

    /**
     * {@code [B, S]} mask -> additive {@code [B, 1, 1, S]} float32: 0 where the key is a token, {@code finfo.min}
     * where it is padding. PaliGemma at inference attends bidirectionally over the whole sequence (prefix-LM with
     * the whole input as prefix), so only padded keys are blocked; no causal part.
     */
    public static NDArray additiveMask(NDArray attentionMask) {
        long b = attentionMask.getShape().get(0);
        long s = attentionMask.getShape().get(1);
        NDArray blocked = attentionMask.eq(0).toType(DataType.FLOAT32, false); // 1 = padding
        // 0 * min = -0.0 on attended keys: adding -0.0 leaves a score unchanged.
        return blocked.muli(-Float.MAX_VALUE).reshape(b, 1, 1, s);
    }
}
