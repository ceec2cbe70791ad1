package pagestream.model.siglip;

import ai.djl.ndarray.NDArray;
import pagestream.model.nn.Activation;
import pagestream.model.nn.LinearLayer;
import pagestream.model.nn.LoadContext;

/** {@code SiglipMLP}: {@code fc2(act(fc1(x)))}, act = gelu tanh approximation. */
public final class SiglipMLP {

    private final Activation act;
    private final LinearLayer fc1;
    private final LinearLayer fc2;

    public SiglipMLP(SiglipVisionConfig config, LoadContext ctx, String prefix) {
        this.act = config.hiddenAct();
        this.fc1 = LinearLayer.load(ctx, prefix + "fc1", config.hiddenSize(), config.intermediateSize(), true);
        this.fc2 = LinearLayer.load(ctx, prefix + "fc2", config.intermediateSize(), config.hiddenSize(), true);
    }

    /** {@code [B, N, Dv]} -> {@code [B, N, I]} -> {@code [B, N, Dv]}. */
    public NDArray forward(NDArray x) {
        NDArray h = fc1.apply(x);
        NDArray a = act.apply(h);
        h.close();
        return fc2.apply(a);
    }
}
