package pagestream.model.siglip;

import ai.djl.ndarray.NDArray;
import pagestream.model.nn.DebugTap;
import pagestream.model.nn.LoadContext;
import pagestream.model.nn.YieldPoint;

import java.util.ArrayList;
import java.util.List;

/** {@code SiglipEncoder}: the stack of encoder layers. */
public final class SiglipEncoder {

    private final List<SiglipEncoderLayer> layers = new ArrayList<>();

    public SiglipEncoder(SiglipVisionConfig config, LoadContext ctx, String prefix) {
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new SiglipEncoderLayer(config, ctx, prefix + "layers." + i + "."));
        }
    }

    /** {@code [B, N, Dv]} -> {@code [B, N, Dv]}; the input stays open, each finished layer's input is freed. */
    public NDArray forward(NDArray x, DebugTap tap) {
        NDArray h = x;
        for (int i = 0; i < layers.size(); i++) {
            NDArray next = layers.get(i).forward(h);
            if (h != x) {
                h.close();
            }
            h = next;
            tap.record("vision_layer" + i + "_output", h);
            YieldPoint.reached();
        }
        return h;
    }
}
