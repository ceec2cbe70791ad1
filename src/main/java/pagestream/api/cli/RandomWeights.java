package pagestream.api.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import pagestream.model.checkpoint.CheckpointException;
import pagestream.model.checkpoint.SafetensorsWriter;
import pagestream.model.checkpoint.Weights;
import pagestream.model.colpali.ColPaliConfig;
import pagestream.model.gemma.GemmaConfig;
import pagestream.model.siglip.SiglipVisionConfig;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Benchmark-only weights: every tensor a ColPali checkpoint of the given config holds (canonical names), filled with
 * random normals scaled by {@code 1/sqrt(fan_in)} so activations stay in a realistic range. Speed depends on
 * the values only a little (softmax slows down where exp gives denormal results, so a comparison with another
 * implementation should run the same weights: {@code bench-model --save-weights}); this exists so the benchmark
 * needs no multi-GB download.
 */
final class RandomWeights implements Weights {

    private final Map<String, Shape> shapes = new LinkedHashMap<>();
    private final Set<String> unused;
    private SafetensorsWriter record; // when set, every generated tensor is also added here (float32)

    RandomWeights(ColPaliConfig config) {
        SiglipVisionConfig v = config.vlmConfig().visionConfig();
        String vp = "vlm.vision_tower.vision_model.";
        put(vp + "embeddings.patch_embedding.weight", v.hiddenSize(), v.numChannels(), v.patchSize(), v.patchSize());
        put(vp + "embeddings.patch_embedding.bias", v.hiddenSize());
        put(vp + "embeddings.position_embedding.weight", v.numPatches(), v.hiddenSize());
        for (int i = 0; i < v.numHiddenLayers(); i++) {
            String p = vp + "encoder.layers." + i + ".";
            for (String ln : new String[] {"layer_norm1", "layer_norm2"}) {
                put(p + ln + ".weight", v.hiddenSize());
                put(p + ln + ".bias", v.hiddenSize());
            }
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                put(p + "self_attn." + proj + ".weight", v.hiddenSize(), v.hiddenSize());
                put(p + "self_attn." + proj + ".bias", v.hiddenSize());
            }
            put(p + "mlp.fc1.weight", v.intermediateSize(), v.hiddenSize());
            put(p + "mlp.fc1.bias", v.intermediateSize());
            put(p + "mlp.fc2.weight", v.hiddenSize(), v.intermediateSize());
            put(p + "mlp.fc2.bias", v.hiddenSize());
        }
        put(vp + "post_layernorm.weight", v.hiddenSize());
        put(vp + "post_layernorm.bias", v.hiddenSize());
        put("vlm.multi_modal_projector.linear.weight", config.vlmConfig().projectionDim(), v.hiddenSize());
        put("vlm.multi_modal_projector.linear.bias", config.vlmConfig().projectionDim());

        GemmaConfig t = config.vlmConfig().textConfig();
        String tp = "vlm.language_model.model.";
        put(tp + "embed_tokens.weight", t.vocabSize(), t.hiddenSize());
        for (int i = 0; i < t.numHiddenLayers(); i++) {
            String p = tp + "layers." + i + ".";
            put(p + "input_layernorm.weight", t.hiddenSize());
            put(p + "post_attention_layernorm.weight", t.hiddenSize());
            put(p + "self_attn.q_proj.weight", t.queryDim(), t.hiddenSize());
            put(p + "self_attn.k_proj.weight", t.keyValueDim(), t.hiddenSize());
            put(p + "self_attn.v_proj.weight", t.keyValueDim(), t.hiddenSize());
            put(p + "self_attn.o_proj.weight", t.hiddenSize(), t.queryDim());
            put(p + "mlp.gate_proj.weight", t.intermediateSize(), t.hiddenSize());
            put(p + "mlp.up_proj.weight", t.intermediateSize(), t.hiddenSize());
            put(p + "mlp.down_proj.weight", t.hiddenSize(), t.intermediateSize());
        }
        put(tp + "norm.weight", t.hiddenSize());
        put("embedding_proj_layer.weight", config.embeddingDim(), t.hiddenSize());
        put("embedding_proj_layer.bias", config.embeddingDim());
        unused = new TreeSet<>(shapes.keySet());
    }

    /** Adds every tensor generated from now on to {@code writer}, so the same weights can be saved as a checkpoint. */
    RandomWeights recordInto(SafetensorsWriter writer) {
        this.record = writer;
        return this;
    }

    private void put(String name, long... shape) {
        shapes.put(name, new Shape(shape));
    }

    @Override
    public Set<String> names() {
        return shapes.keySet();
    }

    @Override
    public Shape shape(String name) {
        Shape s = shapes.get(name);
        if (s == null) {
            throw new CheckpointException("random benchmark weights have no tensor " + name);
        }
        return s;
    }

    @Override
    public NDArray load(String name, NDManager manager, DataType dtype) {
        Shape s = shape(name);
        unused.remove(name);
        // Fan-in = all axes but the first (Linear [out, in], Conv [out, c, k, k]); 1-D tensors get a small spread.
        long fanIn = s.dimension() > 1 ? s.size() / s.get(0) : 1;
        float std = s.dimension() > 1 ? (float) (1 / Math.sqrt(fanIn)) : 0.1f;
        try (NDArray random = manager.randomNormal(0f, std, s, DataType.FLOAT32)) {
            if (record != null) {
                record.addFloat32(name, s.getShape(), random.toFloatArray());
            }
            return random.toType(dtype, true);
        }
    }

    @Override
    public void checkAllUsed() {
        if (!unused.isEmpty()) {
            throw new CheckpointException("model did not load " + unused);
        }
    }

    @Override
    public void close() {
    }
}
