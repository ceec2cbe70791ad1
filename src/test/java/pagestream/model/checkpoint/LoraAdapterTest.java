package pagestream.model.checkpoint;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A PEFT LoRA adapter in the layout of {@code vidore/colpali-v1.3} (keys {@code base_model.model.<colpali-engine
 * module>.lora_A/B.weight}, its real {@code target_modules} regex) over tiny-a saved in the colpali-engine layout
 * of {@code vidore/colpaligemma-3b-pt-448-base}.
 */
class LoraAdapterTest {

    static final String BASE_ID = "vidore/colpaligemma-3b-pt-448-base";
    static final String VIDORE_TARGETS =
            "(.*(language_model).*(down_proj|gate_proj|up_proj|k_proj|q_proj|v_proj|o_proj).*$|.*(custom_text_proj).*$)";
    static final int RANK = 4;
    static final double ALPHA = 8;

    /** Adapter module (colpali-engine name) → canonical weight it merges into. */
    static final Map<String, String> TARGETS = Map.of(
            "model.language_model.model.layers.0.self_attn.q_proj", "vlm.language_model.model.layers.0.self_attn.q_proj.weight",
            "model.language_model.model.layers.1.mlp.down_proj", "vlm.language_model.model.layers.1.mlp.down_proj.weight",
            "custom_text_proj", "embedding_proj_layer.weight");

    record Lora(float[] a, float[] b) {
    }

    @Test
    void mergesWPlusScaledBTimesAInFloat32(@TempDir Path tmp) throws Exception {
        Path base = writeBase(tmp);
        Path adapter = Files.createDirectories(tmp.resolve("adapter"));
        Map<String, Lora> loras = writeAdapter(adapter, config(false, "null"), Map.of());
        List<String> resolved = new ArrayList<>();
        Map<String, PlainSafetensors.Tensor> plain = PlainSafetensors.read(TestCheckpoints.TINY_A);

        try (Weights weights = Checkpoints.open(adapter, id -> {
            resolved.add(id);
            return base;
        }); NDManager manager = NDManager.newBaseManager()) {
            assertThat(resolved).containsExactly(BASE_ID);
            assertThat(weights.names()).containsExactlyInAnyOrderElementsOf(plain.keySet());
            for (String name : weights.names()) {
                float[] expected = plain.get(name).values();
                String module = TARGETS.entrySet().stream().filter(e -> e.getValue().equals(name))
                        .map(Map.Entry::getKey).findFirst().orElse(null);
                if (module != null) {
                    long[] shape = plain.get(name).shape();
                    expected = merged(expected, (int) shape[0], (int) shape[1], loras.get(module), ALPHA / RANK);
                }
                float[] loaded = weights.load(name, manager, DataType.FLOAT32).toFloatArray();
                assertThat(TestCheckpoints.maxAbsDiff(loaded, expected)).as(name).isLessThan(2e-6);
                if (module == null) {
                    assertThat(loaded).as(name).containsExactly(expected);
                } else {
                    assertThat(loaded).as("LoRA changed " + name).isNotEqualTo(plain.get(name).values());
                }
            }
            // float16 of a merged tensor is the rounding of the fp32 merge
            String q = TARGETS.get("model.language_model.model.layers.0.self_attn.q_proj");
            float[] f32 = weights.load(q, manager, DataType.FLOAT32).toFloatArray();
            float[] f16 = weights.load(q, manager, DataType.FLOAT16).toType(DataType.FLOAT32, false).toFloatArray();
            float[] rounded = new float[f32.length];
            for (int i = 0; i < f32.length; i++) {
                rounded[i] = TensorConversion.halfToFloat(TensorConversion.floatToHalf(f32[i]));
            }
            assertThat(f16).containsExactly(rounded);
            weights.checkAllUsed();
        }
    }

    @Test
    void rsLoraScalesByAlphaOverSqrtRAndModulesToSaveReplaceTheBase(@TempDir Path tmp) throws Exception {
        Path base = writeBase(tmp);
        Path adapter = Files.createDirectories(tmp.resolve("adapter"));
        float[] newBias = new float[16];
        for (int i = 0; i < newBias.length; i++) {
            newBias[i] = i * 0.25f;
        }
        Map<String, Lora> loras = writeAdapter(adapter, config(true, "[\"custom_text_proj\"]"),
                Map.of("base_model.model.custom_text_proj.bias", newBias));
        Map<String, PlainSafetensors.Tensor> plain = PlainSafetensors.read(TestCheckpoints.TINY_A);
        try (Weights weights = Checkpoints.open(adapter, id -> base)) {
            SafetensorsWeights w = (SafetensorsWeights) weights;
            assertThat(w.floats("embedding_proj_layer.bias")).containsExactly(newBias);
            String name = "vlm.language_model.model.layers.1.mlp.down_proj.weight";
            float[] expected = merged(plain.get(name).values(), 64, 256,
                    loras.get("model.language_model.model.layers.1.mlp.down_proj"), ALPHA / Math.sqrt(RANK));
            assertThat(TestCheckpoints.maxAbsDiff(w.floats(name), expected)).isLessThan(2e-6);
        }
    }

    @Test
    void loraShapeMismatchAndBadAdaptersAreNamed(@TempDir Path tmp) throws Exception {
        Path base = writeBase(tmp);
        Path adapter = Files.createDirectories(tmp.resolve("adapter"));
        String module = "base_model.model.model.language_model.model.layers.0.self_attn.k_proj";
        new SafetensorsWriter()
                .addFloat32(module + ".lora_A.weight", new long[] {RANK, 64}, new float[RANK * 64])
                .addFloat32(module + ".lora_B.weight", new long[] {64, RANK}, new float[64 * RANK]) // k_proj is [16, 64]
                .write(adapter.resolve("adapter_model.safetensors"));
        Files.writeString(adapter.resolve("adapter_config.json"), config(false, "null"));
        assertThatThrownBy(() -> Checkpoints.open(adapter, id -> base))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("LoRA shape mismatch for 'model.language_model.model.layers.0.self_attn.k_proj'")
                .hasMessageContaining("[16, 64] F32")
                .hasMessageContaining("lora_B [64, 4] F32");

        new SafetensorsWriter()
                .addFloat32(module + ".lora_A.weight", new long[] {RANK, 64}, new float[RANK * 64])
                .write(adapter.resolve("adapter_model.safetensors"));
        assertThatThrownBy(() -> Checkpoints.open(adapter, id -> base))
                .hasMessageContaining("lora_A.weight but no .lora_B.weight");

        new SafetensorsWriter()
                .addFloat32("base_model.model.model.vision_tower.vision_model.encoder.layers.0.mlp.fc1.lora_A.weight",
                        new long[] {RANK, 64}, new float[RANK * 64])
                .addFloat32("base_model.model.model.vision_tower.vision_model.encoder.layers.0.mlp.fc1.lora_B.weight",
                        new long[] {128, RANK}, new float[128 * RANK])
                .write(adapter.resolve("adapter_model.safetensors"));
        assertThatThrownBy(() -> Checkpoints.open(adapter, id -> base))
                .hasMessageContaining("target_modules")
                .hasMessageContaining("vision_tower.vision_model.encoder.layers.0.mlp.fc1");

        assertThatThrownBy(() -> Checkpoints.open(adapter, id -> tmp.resolve("nowhere")))
                .hasMessageContaining("base checkpoint '" + BASE_ID + "' resolved to")
                .hasMessageContaining("not a directory");
    }

    @Test
    void withoutAResolverTheBaseIsAPathRelativeToTheAdapter(@TempDir Path tmp) throws Exception {
        Path base = writeBase(tmp);
        Path adapter = Files.createDirectories(tmp.resolve("adapter"));
        writeAdapter(adapter, config(false, "null").replace(BASE_ID, "../base"), Map.of());
        try (Weights weights = Checkpoints.open(adapter)) {
            assertThat(weights.toString()).contains("LoRA over").contains("base");
            assertThat(weights.names()).hasSize(PlainSafetensors.read(TestCheckpoints.TINY_A).size());
        }
        assertThat(base).isDirectory();
    }

    private static String config(boolean rsLora, String modulesToSave) {
        return "{\"base_model_name_or_path\": \"" + BASE_ID + "\", \"peft_type\": \"LORA\", \"r\": " + RANK
                + ", \"lora_alpha\": " + (int) ALPHA + ", \"lora_dropout\": 0.1, \"bias\": \"none\", \"use_rslora\": "
                + rsLora + ", \"use_dora\": false, \"init_lora_weights\": \"gaussian\", \"task_type\": \"FEATURE_EXTRACTION\","
                + " \"modules_to_save\": " + modulesToSave + ", \"target_modules\": \""
                + VIDORE_TARGETS.replace("\\", "\\\\") + "\"}";
    }

    /** tiny-a (float32) in the colpali-engine layout, as vidore/colpaligemma-3b-pt-448-base stores it. */
    private static Path writeBase(Path tmp) throws Exception {
        Path base = Files.createDirectories(tmp.resolve("base"));
        TestCheckpoints.copyRenamed(TestCheckpoints.TINY_A, base.resolve("model.safetensors"),
                k -> k.replaceFirst("^vlm\\.", "model.").replaceFirst("^embedding_proj_layer\\.", "custom_text_proj."));
        return base;
    }

    private static Map<String, Lora> writeAdapter(Path adapter, String config, Map<String, float[]> extra)
            throws Exception {
        Map<String, PlainSafetensors.Tensor> plain = PlainSafetensors.read(TestCheckpoints.TINY_A);
        SplittableRandom random = new SplittableRandom(42);
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        Map<String, Lora> loras = new java.util.HashMap<>();
        for (Map.Entry<String, String> t : TARGETS.entrySet()) {
            long[] shape = plain.get(t.getValue()).shape();
            float[] a = gaussian(random, RANK * (int) shape[1]);
            float[] b = gaussian(random, (int) shape[0] * RANK);
            writer.addFloat32("base_model.model." + t.getKey() + ".lora_A.weight", new long[] {RANK, shape[1]}, a);
            writer.addFloat32("base_model.model." + t.getKey() + ".lora_B.weight", new long[] {shape[0], RANK}, b);
            loras.put(t.getKey(), new Lora(a, b));
        }
        extra.forEach((k, v) -> writer.addFloat32(k, new long[] {v.length}, v));
        writer.write(adapter.resolve("adapter_model.safetensors"));
        Files.writeString(adapter.resolve("adapter_config.json"), config);
        return loras;
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (random.nextDouble(-1, 1) * 0.1);
        }
        return out;
    }

    /** Independent reference: W + scale · (B · A), accumulated in double. */
    private static float[] merged(float[] w, int out, int in, Lora lora, double scale) {
        float[] result = w.clone();
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double sum = 0;
                for (int k = 0; k < RANK; k++) {
                    sum += (double) lora.b()[o * RANK + k] * lora.a()[k * in + i];
                }
                result[o * in + i] = (float) (w[o * in + i] + scale * sum);
            }
        }
        return result;
    }
}
