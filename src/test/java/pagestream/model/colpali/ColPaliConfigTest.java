package pagestream.model.colpali;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.model.ModelConfigException;
import pagestream.model.gemma.GemmaConfig;
import pagestream.model.nn.Activation;
import pagestream.model.paligemma.PaliGemmaConfig;
import pagestream.model.siglip.SiglipVisionConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ColPaliConfigTest {

    /**
     * Shaped like vidore/colpali-v1.3-hf's config.json: the vlm text_config omits head_dim, rope_theta,
     * rms_norm_eps and the activation; vision_config omits layer_norm_eps and hidden_act.
     */
    static final String REAL_SHAPED = """
            {
              "architectures": ["ColPaliForRetrieval"],
              "embedding_dim": 128,
              "model_type": "colpali",
              "vlm_config": {
                "model_type": "paligemma",
                "hidden_size": 2048,
                "image_token_index": 257152,
                "projection_dim": 2048,
                "text_config": {
                  "hidden_size": 2048,
                  "intermediate_size": 16384,
                  "model_type": "gemma",
                  "num_attention_heads": 8,
                  "num_hidden_layers": 18,
                  "num_image_tokens": 256,
                  "num_key_value_heads": 1,
                  "vocab_size": 257216
                },
                "vision_config": {
                  "hidden_size": 1152,
                  "image_size": 448,
                  "intermediate_size": 4304,
                  "model_type": "siglip_vision_model",
                  "num_attention_heads": 16,
                  "num_hidden_layers": 27,
                  "patch_size": 14,
                  "projection_dim": 2048,
                  "vision_use_head": false
                }
              }
            }
            """;

    @Test
    void readsTinyGoldenConfig() {
        ColPaliConfig config = ColPaliConfig.load(Path.of("src/test/resources/golden/tiny-a"));
        assertThat(config.embeddingDim()).isEqualTo(16);
        PaliGemmaConfig vlm = config.vlmConfig();
        assertThat(vlm.imageTokenIndex()).isEqualTo(256);
        assertThat(vlm.numImageTokens()).isEqualTo(16);
        assertThat(vlm.projectionDim()).isEqualTo(64);
        SiglipVisionConfig v = vlm.visionConfig();
        assertThat(v.hiddenSize()).isEqualTo(64);
        assertThat(v.intermediateSize()).isEqualTo(128);
        assertThat(v.numHiddenLayers()).isEqualTo(2);
        assertThat(v.numAttentionHeads()).isEqualTo(4);
        assertThat(v.imageSize()).isEqualTo(56);
        assertThat(v.patchSize()).isEqualTo(14);
        assertThat(v.gridSize()).isEqualTo(4);
        assertThat(v.headDim()).isEqualTo(16);
        assertThat(v.layerNormEps()).isEqualTo(1e-6);
        assertThat(v.visionUseHead()).isFalse();
        GemmaConfig t = vlm.textConfig();
        assertThat(t.vocabSize()).isEqualTo(300);
        assertThat(t.hiddenSize()).isEqualTo(64);
        assertThat(t.intermediateSize()).isEqualTo(256);
        assertThat(t.numHiddenLayers()).isEqualTo(2);
        assertThat(t.numAttentionHeads()).isEqualTo(4);
        assertThat(t.numKeyValueHeads()).isEqualTo(1);
        assertThat(t.numKeyValueGroups()).isEqualTo(4);
        assertThat(t.headDim()).isEqualTo(16);
        assertThat(t.ropeTheta()).isEqualTo(10000.0);
        assertThat(t.rmsNormEps()).isEqualTo(1e-6);
        assertThat(t.hiddenAct()).isEqualTo(Activation.GELU_TANH);
    }

    @Test
    void omittedFieldsTakeTransformersDefaults(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), REAL_SHAPED);
        ColPaliConfig config = ColPaliConfig.load(dir);
        GemmaConfig t = config.vlmConfig().textConfig();
        assertThat(t.headDim()).as("GemmaConfig head_dim default").isEqualTo(256);
        assertThat(t.queryDim()).isEqualTo(2048);
        assertThat(t.keyValueDim()).isEqualTo(256);
        assertThat(t.ropeTheta()).isEqualTo(10000.0);
        assertThat(t.rmsNormEps()).isEqualTo(1e-6);
        assertThat(t.hiddenAct()).isEqualTo(Activation.GELU_TANH);
        assertThat(t.attentionBias()).isFalse();
        SiglipVisionConfig v = config.vlmConfig().visionConfig();
        assertThat(v.layerNormEps()).isEqualTo(1e-6);
        assertThat(v.hiddenAct()).isEqualTo(Activation.GELU_TANH);
        assertThat(v.numChannels()).isEqualTo(3);
        assertThat(v.headDim()).isEqualTo(72);
        // Derived by PaliGemmaConfig, whatever the file says (num_image_tokens 256 above is stale).
        assertThat(config.vlmConfig().numImageTokens()).isEqualTo(1024);
        assertThat(v.projectionDim()).isEqualTo(2048);
        assertThat(config.vlmConfig().imageTokenIndex()).isEqualTo(257152);
    }

    @Test
    void absentSubConfigsTakePaliGemmaPresets(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"),
                "{\"model_type\": \"colpali\", \"vlm_config\": {\"model_type\": \"paligemma\"}}");
        ColPaliConfig config = ColPaliConfig.load(dir);
        assertThat(config.embeddingDim()).isEqualTo(128);
        assertThat(config.vlmConfig().visionConfig().hiddenSize()).isEqualTo(1152);
        assertThat(config.vlmConfig().visionConfig().numHiddenLayers()).isEqualTo(27);
        assertThat(config.vlmConfig().numImageTokens()).isEqualTo(256); // (224 / 14)²
        assertThat(config.vlmConfig().textConfig().hiddenSize()).isEqualTo(2048);
        assertThat(config.vlmConfig().textConfig().vocabSize()).isEqualTo(257152);
        assertThat(config.vlmConfig().textConfig().numKeyValueHeads()).isEqualTo(1);
        assertThat(config.vlmConfig().imageTokenIndex()).isEqualTo(256000);
    }

    @Test
    void badConfigsNameFileAndField(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> ColPaliConfig.load(dir))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("config.json does not exist");

        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gemma\"}");
        assertThatThrownBy(() -> ColPaliConfig.load(dir)).hasMessageContaining("expected 'colpali'");

        // colpali-engine's base checkpoints store the PaliGemma config itself; ColPali's head is 128-d.
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"paligemma\"}");
        assertThat(ColPaliConfig.load(dir).embeddingDim()).isEqualTo(128);

        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"colpali\", \"vlm_config\": {}}");
        assertThatThrownBy(() -> ColPaliConfig.load(dir)).hasMessageContaining("vlm_config has no model_type");

        Files.writeString(dir.resolve("config.json"), REAL_SHAPED.replace("\"hidden_size\": 1152", "\"hidden_size\": \"big\""));
        assertThatThrownBy(() -> ColPaliConfig.load(dir))
                .hasMessageContaining("vlm_config.vision_config.hidden_size must be an integer");

        Files.writeString(dir.resolve("config.json"),
                REAL_SHAPED.replace("\"num_key_value_heads\": 1", "\"num_key_value_heads\": 1, \"hidden_act\": \"relu\""));
        assertThatThrownBy(() -> ColPaliConfig.load(dir)).hasMessageContaining("hidden_act 'relu' is not supported");

        Files.writeString(dir.resolve("config.json"), "{not json");
        assertThatThrownBy(() -> ColPaliConfig.load(dir)).hasMessageContaining("is not readable JSON");
    }
}
