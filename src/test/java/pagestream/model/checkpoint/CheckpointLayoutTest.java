package pagestream.model.checkpoint;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tiny-a rewritten under the key names of every layout users have (renames written out here from the real
 * modules, independently of {@link CheckpointKeys}) opens with the canonical names and the same values.
 */
class CheckpointLayoutTest {

    static Stream<Arguments> layouts() {
        return Stream.of(
                Arguments.of("transformers legacy save_pretrained", (UnaryOperator<String>) k -> k,
                        "vlm.language_model.lm_head.weight"),
                Arguments.of("transformers >= 4.52 (vlm.model.*)", (UnaryOperator<String>) k -> k
                        .replaceFirst("^vlm\\.vision_tower\\.", "vlm.model.vision_tower.")
                        .replaceFirst("^vlm\\.multi_modal_projector\\.", "vlm.model.multi_modal_projector.")
                        .replaceFirst("^vlm\\.language_model\\.model\\.", "vlm.model.language_model."),
                        "vlm.lm_head.weight"),
                Arguments.of("colpali-engine ColPali (colpaligemma-3b-pt-448-base)", (UnaryOperator<String>) k -> k
                        .replaceFirst("^vlm\\.", "model.")
                        .replaceFirst("^embedding_proj_layer\\.", "custom_text_proj."),
                        "model.language_model.lm_head.weight"),
                Arguments.of("colpali-engine ColPali on transformers >= 4.52", (UnaryOperator<String>) k -> k
                        .replaceFirst("^vlm\\.vision_tower\\.", "model.model.vision_tower.")
                        .replaceFirst("^vlm\\.multi_modal_projector\\.", "model.model.multi_modal_projector.")
                        .replaceFirst("^vlm\\.language_model\\.model\\.", "model.model.language_model.")
                        .replaceFirst("^embedding_proj_layer\\.", "custom_text_proj."),
                        "model.lm_head.weight"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void layoutOpensUnderCanonicalNames(String layout, UnaryOperator<String> rename, String lmHead,
            @TempDir Path dir) throws Exception {
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        try (SafetensorsFile tiny = SafetensorsFile.open(TestCheckpoints.TINY_A_BF16)) {
            for (String key : tiny.names()) {
                TensorInfo info = tiny.info(key);
                writer.addRaw(rename.apply(key), info.dtype(), info.shape(), tiny.bytes(key));
            }
            // the tied LM head, present in some saves: dropped at load
            writer.addRaw(lmHead, SafetensorsDtype.BF16, tiny.shape("vlm.language_model.model.embed_tokens.weight"),
                    tiny.bytes("vlm.language_model.model.embed_tokens.weight"));
        }
        writer.write(dir.resolve("model.safetensors"));
        try (SafetensorsFile stored = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertThat(stored.contains(lmHead)).isTrue();
        }

        Map<String, PlainSafetensors.Tensor> expected = PlainSafetensors.read(TestCheckpoints.TINY_A_BF16);
        try (Weights weights = Checkpoints.open(dir)) {
            assertThat(weights.names()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            SafetensorsWeights stored = (SafetensorsWeights) weights;
            for (String name : weights.names()) {
                assertThat(stored.floats(name)).as(name).containsExactly(expected.get(name).values());
            }
            weights.checkAllUsed();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void tableRenamesEveryGoldenKey(String layout, UnaryOperator<String> rename, String lmHead) throws Exception {
        for (String canonical : PlainSafetensors.read(TestCheckpoints.TINY_A).keySet()) {
            assertThat(CheckpointKeys.canonical(rename.apply(canonical))).as(layout).hasValue(canonical);
        }
        assertThat(CheckpointKeys.canonical(lmHead)).isEmpty();
        assertThat(CheckpointKeys.canonical("lm_head.weight")).isEmpty();
        assertThat(CheckpointKeys.canonical("something.else.weight")).hasValue("something.else.weight");
    }
}
