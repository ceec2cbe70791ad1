package pagestream.model.gemma;

import ai.djl.ndarray.NDArray;
import pagestream.model.nn.Activation;
import pagestream.model.nn.LinearLayer;
import pagestream.model.nn.LoadContext;

/** {@code GemmaMLP}: {@code down(act(gate(x)) · up(x))}, gate and up fused into one matmul. */
public final class GemmaMLP {

    private final Activation act;
    private final int intermediate;
    private final LinearLayer gateUp; // [2·I, H]
    private final LinearLayer down; // [H, I]

    public GemmaMLP(GemmaConfig config, LoadContext ctx, String prefix) {
        int h = config.hiddenSize();
        this.act = config.hiddenAct();
        this.intermediate = config.intermediateSize();
        this.gateUp = LinearLayer.fused(
                LinearLayer.load(ctx, prefix + "gate_proj", h, intermediate, false),
                LinearLayer.load(ctx, prefix + "up_proj", h, intermediate, false));
        this.down = LinearLayer.load(ctx, prefix + "down_proj", intermediate, h, false);
    }

    /** {@code [B, S, H]} -> {@code [B, S, 2I]} -> {@code [B, S, I]} -> {@code [B, S, H]}. */
    public NDArray forward(NDArray x) {
        NDArray fused = gateUp.apply(x); // [B, S, 2I]
        NDArray gated = act.apply(LinearLayer.slice(fused, 0, intermediate)); // [B, S, I]
        gated.muli(LinearLayer.slice(fused, intermediate, 2L * intermediate));
        fused.close();
        return down.apply(gated);
    }
}
