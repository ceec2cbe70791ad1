package pagestream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import pagestream.model.colpali.ColPaliForRetrieval;

import java.util.HashMap;
import java.util.Map;

/** Runs a model on one golden input batch and keeps every tapped intermediate as float32 host arrays. */
public final class GoldenRun {

    private GoldenRun() {
    }

    /**
     * @param prefix {@code image_}, {@code query_} or {@code query_left_}
     * @return tap name (without prefix) -> values
     */
    public static Map<String, float[]> run(ColPaliForRetrieval model, GoldenTensors golden, NDManager base,
            String prefix) {
        Map<String, float[]> taps = new HashMap<>();
        try (NDManager batch = base.newSubManager()) {
            NDArray pixels = prefix.equals("image_") ? golden.floatArray(batch, prefix + "pixel_values") : null;
            NDArray ids = golden.longArray(batch, prefix + "input_ids");
            NDArray mask = golden.longArray(batch, prefix + "attention_mask");
            model.forward(pixels, ids, mask,
                    (name, value) -> taps.put(name, value.toType(DataType.FLOAT32, true).toFloatArray()));
        }
        return taps;
    }

    /** Largest absolute elementwise difference. */
    public static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            float d = Math.abs(a[i] - b[i]);
            if (!(d <= worst)) {
                worst = d;
            }
        }
        return worst;
    }
}
