package pagestream.model;

import pagestream.embed.ComputeDtype;
import pagestream.embed.Device;

/**
 * How {@link ColPaliModel#load} builds the model.
 *
 * @param id       the name reported by {@link ColPaliModel#id()} (e.g. the Hugging Face repo id); null = the
 *                 directory's name
 * @param device   where it runs
 * @param dtype    compute dtype
 * @param maxBatch largest number of pages (or queries) per forward pass; longer lists are split, which bounds
 *                 memory (each page costs ~1 GB of activations per Gemma-2B layer in float32 at most)
 */
public record ModelOptions(String id, Device device, ComputeDtype dtype, int maxBatch) {

    public ModelOptions {
        if (device == null || dtype == null) {
            throw new IllegalArgumentException("device and dtype are required");
        }
        if (maxBatch <= 0) {
            throw new IllegalArgumentException("maxBatch must be > 0, got " + maxBatch);
        }
    }

    /** auto device, auto dtype, batches of up to 8. */
    public static ModelOptions defaults() {
        return new ModelOptions(null, Device.AUTO, ComputeDtype.AUTO, 8);
    }

    public ModelOptions withId(String newId) {
        return new ModelOptions(newId, device, dtype, maxBatch);
    }

    public ModelOptions withDevice(Device newDevice) {
        return new ModelOptions(id, newDevice, dtype, maxBatch);
    }

    public ModelOptions withDtype(ComputeDtype newDtype) {
        return new ModelOptions(id, device, newDtype, maxBatch);
    }

    public ModelOptions withMaxBatch(int newMaxBatch) {
        return new ModelOptions(id, device, dtype, newMaxBatch);
    }
}
