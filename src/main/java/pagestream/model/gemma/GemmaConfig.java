package pagestream.model.gemma;

import com.fasterxml.jackson.databind.JsonNode;
import pagestream.model.nn.Activation;
import pagestream.model.nn.JsonFields;

/**
 * Gemma decoder settings ({@code vlm_config.text_config}). Absent fields take the defaults of transformers v4.57.6
 * {@code GemmaConfig.__init__} (note {@code head_dim=256}, which is what the real colpali-v1.3 config relies on);
 * PaliGemma substitutes its own preset when the whole object is absent ({@link #paliGemmaDefault(int)}).
 *
 * @param numKeyValueGroups derived: query heads per key/value head (GQA)
 */
public record GemmaConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        Activation hiddenAct,
        double rmsNormEps,
        double ropeTheta,
        boolean attentionBias,
        int padTokenId,
        int numKeyValueGroups) {

    public static GemmaConfig fromJson(JsonNode node, String where) {
        JsonFields f = new JsonFields(node, where);
        // GemmaMLP uses ACT2FN[config.hidden_act]; hidden_activation is not read by the v4.57 modeling code.
        return of(f,
                f.intOr("vocab_size", 256000),
                f.intOr("hidden_size", 3072),
                f.intOr("intermediate_size", 24576),
                f.intOr("num_hidden_layers", 28),
                f.intOr("num_attention_heads", 16),
                f.intOr("num_key_value_heads", 16),
                f.intOr("head_dim", 256),
                Activation.fromConfig(f.stringOr("hidden_act", "gelu_pytorch_tanh"), f),
                f.doubleOr("rms_norm_eps", 1e-6),
                f.doubleOr("rope_theta", 10000.0),
                f.boolOr("attention_bias", false),
                f.intOr("pad_token_id", 0));
    }

    /** PaliGemmaConfig's text preset when {@code text_config} is absent (Gemma-2B), with its {@code vocab_size}. */
    public static GemmaConfig paliGemmaDefault(int vocabSize) {
        JsonFields f = new JsonFields(null, "text_config (PaliGemma default)");
        return of(f, vocabSize, 2048, 16384, 18, 8, 1, 256, Activation.GELU_TANH, 1e-6, 10000.0, false, 0);
    }

    private static GemmaConfig of(JsonFields f, int vocab, int hidden, int intermediate, int layers, int heads,
            int kvHeads, int headDim, Activation act, double eps, double theta, boolean bias, int pad) {
        f.positive("vocab_size", vocab);
        f.positive("hidden_size", hidden);
        f.positive("intermediate_size", intermediate);
        f.positive("num_hidden_layers", layers);
        f.positive("num_attention_heads", heads);
        f.positive("num_key_value_heads", kvHeads);
        f.positive("head_dim", headDim);
        if (heads % kvHeads != 0) {
            throw f.error("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw f.error("head_dim " + headDim + " must be even for rotary embeddings");
        }
        return new GemmaConfig(vocab, hidden, intermediate, layers, heads, kvHeads, headDim, act, eps, theta, bias,
                pad, heads / kvHeads);
    }

    /** Width of the concatenated query heads. */
    public int queryDim() {
        return numAttentionHeads * headDim;
    }

    /** Width of the concatenated key (or value) heads. */
    public int keyValueDim() {
        return numKeyValueHeads * headDim;
    }
}
