package pagestream.model.gemma;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import pagestream.model.nn.LoadContext;

/**
 * {@code GemmaRMSNorm}: {@code x · rsqrt(mean(x²) + eps) · (1 + w)}, computed in float32 whatever the activation
 * dtype (reference: {@code self._norm(x.float()) * (1.0 + self.weight.float())}). Gemma stores {@code w} centred on
 * zero, hence the {@code 1 +}; it is added once at load time (the same float32 addition the reference repeats per
 * call).
 */
public final class GemmaRMSNorm {

    private final NDArray scale; // [H] = 1 + w, float32
    private final float eps;

    public GemmaRMSNorm(LoadContext ctx, String name, int hidden, double eps) {
        NDArray w = ctx.float32(name, hidden);
        this.scale = w.add(1f);
        w.close();
        this.eps = (float) eps;
    }

    /** {@code [..., H]} -> {@code [..., H]} float32. */
    public NDArray forward(NDArray x) {
        NDArray x32 = x.toType(DataType.FLOAT32, false);
        NDArray meanSquare = x32.square().mean(new int[] {-1}, true); // [..., 1]
        // torch.rsqrt(v) is 1 / sqrt(v) elementwise on CPU; x * rsqrt rather than x / sqrt, as the reference.
        NDArray inv = meanSquare.addi(eps).sqrt();
        NDArray rs = inv.onesLike().divi(inv);
        NDArray out = x32.mul(rs).muli(scale);
        meanSquare.close();
        inv.close();
        rs.close();
        return out;
    }
}
