package pagestream.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Set;

/**
 * The tensors of a loaded checkpoint under their canonical names, whatever layout the files used.
 *
 * <p>Canonical names are the legacy transformers {@code save_pretrained} names of {@code ColPaliForRetrieval}
 * (those of the golden checkpoints): {@code vlm.vision_tower.vision_model.*},
 * {@code vlm.multi_modal_projector.linear.*}, {@code vlm.language_model.model.*}, {@code embedding_proj_layer.*}.
 * Other layouts (newer transformers, colpali-engine, base + PEFT LoRA adapter) are renamed to these by the
 * one key-mapping table, {@link CheckpointKeys}.
 *
 * <p>The model takes every tensor it needs through {@link #load}; the loader then calls {@link #checkAllUsed()}
 * so a checkpoint with keys the model does not know fails loudly instead of being half-used.
 */
public interface Weights extends AutoCloseable {

    Set<String> names();

    /** Shape of a tensor; throws {@link CheckpointException} naming the key if it is absent. */
    Shape shape(String canonicalName);

    /**
     * Creates the tensor on {@code manager} in {@code dtype} (FLOAT32 or FLOAT16), converting from the stored
     * dtype (F32, F16, BF16) in Java. Marks the key as used. Throws {@link CheckpointException} naming the key
     * and the checkpoint if it is absent.
     */
    NDArray load(String canonicalName, NDManager manager, DataType dtype);

    /** Throws {@link CheckpointException} listing every key that was never loaded. */
    void checkAllUsed();

    @Override
    void close();
}
