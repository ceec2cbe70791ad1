package pagestream.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The golden tiny checkpoints load through {@link Checkpoints} and agree with an independent plain read. */
class GoldenCheckpointTest {

    static final Path TINY_A = Path.of("src/test/resources/golden/tiny-a");
    static final Path TINY_A_BF16 = Path.of("src/test/resources/golden/tiny-a-bf16");

    @Test
    void tinyALoadsEveryTensorExactlyAsStored() throws Exception {
        Map<String, PlainSafetensors.Tensor> plain = PlainSafetensors.read(TINY_A.resolve("model.safetensors"));
        JsonNode goldenKeys = new ObjectMapper().readTree(TINY_A.resolve("golden.json").toFile()).get("checkpoint_keys");
        TreeSet<String> expectedNames = new TreeSet<>();
        goldenKeys.fieldNames().forEachRemaining(expectedNames::add);

        try (Weights weights = Checkpoints.open(TINY_A); NDManager manager = NDManager.newBaseManager()) {
            assertThat(weights.names()).containsExactlyElementsOf(expectedNames);
            for (String name : weights.names()) {
                PlainSafetensors.Tensor expected = plain.get(name);
                assertThat(weights.shape(name).getShape()).as(name).containsExactly(expected.shape());
                NDArray array = weights.load(name, manager, DataType.FLOAT32);
                assertThat(array.getDataType()).isEqualTo(DataType.FLOAT32);
                assertThat(array.getShape().getShape()).as(name).containsExactly(expected.shape());
                assertThat(array.toFloatArray()).as(name).containsExactly(expected.values());
            }
            weights.checkAllUsed();
        }
    }

    @Test
    void tinyABf16WidensExactlyToTheBf16RoundingOfTinyA() throws Exception {
        Map<String, PlainSafetensors.Tensor> bf16 = PlainSafetensors.read(TINY_A_BF16.resolve("model.safetensors"));
        Map<String, PlainSafetensors.Tensor> f32 = PlainSafetensors.read(TINY_A.resolve("model.safetensors"));
        try (Weights weights = Checkpoints.open(TINY_A_BF16); NDManager manager = NDManager.newBaseManager()) {
            assertThat(weights.names()).containsExactlyInAnyOrderElementsOf(f32.keySet());
            for (String name : weights.names()) {
                assertThat(bf16.get(name).dtype()).isEqualTo("BF16");
                float[] loaded = weights.load(name, manager, DataType.FLOAT32).toFloatArray();
                assertThat(loaded).as(name).containsExactly(bf16.get(name).values());
                float[] reference = f32.get(name).values();
                float[] rounded = new float[reference.length];
                for (int i = 0; i < reference.length; i++) {
                    // torch's float32 -> bfloat16 cast: round to nearest even on the upper 16 bits
                    int bits = Float.floatToRawIntBits(reference[i]);
                    rounded[i] = Float.intBitsToFloat((bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000);
                }
                assertThat(loaded).as("%s = bf16 rounding of the float32 weights", name).containsExactly(rounded);
            }
            weights.checkAllUsed();
        }
    }

    @Test
    void loadsFloat16WithRoundToNearestEven() throws Exception {
        Map<String, PlainSafetensors.Tensor> f32 = PlainSafetensors.read(TINY_A.resolve("model.safetensors"));
        String name = "vlm.multi_modal_projector.linear.weight";
        try (Weights weights = Checkpoints.open(TINY_A); NDManager manager = NDManager.newBaseManager()) {
            NDArray half = weights.load(name, manager, DataType.FLOAT16);
            assertThat(half.getDataType()).isEqualTo(DataType.FLOAT16);
            float[] widened = half.toType(DataType.FLOAT32, false).toFloatArray();
            float[] reference = f32.get(name).values();
            float[] rounded = new float[reference.length];
            for (int i = 0; i < reference.length; i++) {
                rounded[i] = TensorConversion.halfToFloat(TensorConversion.floatToHalf(reference[i]));
            }
            assertThat(widened).containsExactly(rounded);
        }
    }

    @Test
    void readsGoldenInputIdsAndFloatsByName() {
        Path golden = TINY_A.resolve("golden.safetensors");
        try (SafetensorsFile file = SafetensorsFile.open(golden)) {
            assertThat(file.shape("image_input_ids")).containsExactly(2, 24);
            long[] ids = file.longs("image_input_ids");
            assertThat(ids).hasSize(48);
            assertThat(ids[0]).isEqualTo(256); // <image>
            assertThat(ids[16]).isEqualTo(2); // <bos> after 16 image tokens
            assertThat(file.floats("image_embeddings")).hasSize(2 * 24 * 16);
        }
        assertThat(SafetensorsFile.readFloats(golden, "scores")).hasSize(6);
    }

    @Test
    void missingKeyAndUnusedKeysAreNamed() {
        try (Weights weights = Checkpoints.open(TINY_A); NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> weights.load("vlm.language_model.model.layers.7.mlp.up_proj.weight", manager,
                    DataType.FLOAT32))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("missing tensor 'vlm.language_model.model.layers.7.mlp.up_proj.weight'")
                    .hasMessageContaining("tiny-a");
            weights.load("embedding_proj_layer.weight", manager, DataType.FLOAT32);
            assertThatThrownBy(weights::checkAllUsed)
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("never used")
                    .hasMessageContaining("embedding_proj_layer.bias")
                    .hasMessageNotContaining("embedding_proj_layer.weight,");
            assertThatThrownBy(() -> weights.load("embedding_proj_layer.bias", manager, DataType.INT32))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("FLOAT32 or FLOAT16");
        }
    }
}
