package pagestream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;

/**
 * {@code torch.nn.Linear}: {@code y = x Wᵀ + b} with {@code W [out, in]}. The input is cast to the weight's dtype
 * first (the residual stream may be float32 while matmuls run in float16); torch's {@code linear} hands the
 * transposed weight to BLAS as a flag, so no transposed copy is kept.
 */
public final class LinearLayer {

    private final NDArray weight; // [out, in]
    private final NDArray bias; // [out] or null

    public LinearLayer(NDArray weight, NDArray bias) {
        this.weight = weight;
        this.bias = bias;
    }

    /** Loads {@code prefix.weight} (and {@code prefix.bias} when {@code withBias}). */
    public static LinearLayer load(LoadContext ctx, String prefix, int in, int out, boolean withBias) {
        NDArray w = ctx.compute(prefix + ".weight", out, in);
        NDArray b = withBias ? ctx.compute(prefix + ".bias", out) : null;
        return new LinearLayer(w, b);
    }

    /**
     * Several linears on the same input fused into one matmul (rows of the weights stacked), e.g. q/k/v; the output
     * is split again by {@link #slice}. One large GEMM runs closer to peak than three thin ones.
     */
    public static LinearLayer fused(LinearLayer... parts) {
        if (parts.length < 2) {
            throw new IllegalArgumentException("fusing needs at least two linears");
        }
        NDArray w = parts[0].weight;
        NDArray b = parts[0].bias;
        for (int i = 1; i < parts.length; i++) {
            NDArray nw = w.concat(parts[i].weight, 0);
            if (i > 1) {
                w.close();
            }
            w = nw;
            if (b != null) {
                NDArray nb = b.concat(parts[i].bias, 0);
                if (i > 1) {
                    b.close();
                }
                b = nb;
            }
        }
        for (LinearLayer part : parts) {
            part.weight.close();
            if (part.bias != null) {
                part.bias.close();
            }
        }
        return new LinearLayer(w, b);
    }

    /** {@code [..., in] -> [..., out]} in the weight's dtype. */
    public NDArray apply(NDArray x) {
        NDArray in = x.toType(weight.getDataType(), false);
        NDList out = bias == null ? Linear.linear(in, weight) : Linear.linear(in, weight, bias);
        if (in != x) {
            in.close();
        }
        return out.singletonOrThrow();
    }

    public long outFeatures() {
        return weight.getShape().get(0);
    }

    /** Columns {@code [from, to)} of the last axis of a fused output (a view). */
    public static NDArray slice(NDArray fusedOut, long from, long to) {
        return fusedOut.get(new NDIndex().addEllipseDim().addSliceDim(from, to)); // built, not parsed from a string
    }
}
