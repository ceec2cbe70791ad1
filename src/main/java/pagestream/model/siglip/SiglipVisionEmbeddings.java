package pagestream.model.siglip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import pagestream.model.nn.LoadContext;

/**
 * {@code SiglipVisionEmbeddings}: a Conv2d with kernel = stride = patch size ("valid" padding) cuts the image into
 * patches and projects each one, the grid is flattened row-major, and a learned position embedding is added
 * (no interpolation: the checkpoint's image size is the only one accepted).
 */
public final class SiglipVisionEmbeddings {

    private final SiglipVisionConfig config;
    private final NDArray patchWeight; // [Dv, C, P, P]
    private final NDArray patchBias; // [Dv]
    private final NDArray positionEmbedding; // [N, Dv], float32 (added to the float32 residual stream)

    public SiglipVisionEmbeddings(SiglipVisionConfig config, LoadContext ctx, String prefix) {
        this.config = config;
        int d = config.hiddenSize();
        int p = config.patchSize();
        this.patchWeight = ctx.compute(prefix + "patch_embedding.weight", d, config.numChannels(), p, p);
        this.patchBias = ctx.compute(prefix + "patch_embedding.bias", d);
        this.positionEmbedding = ctx.float32(prefix + "position_embedding.weight", config.numPatches(), d);
    }

    /** {@code [B, C, H, W]} pixel values -> {@code [B, N, Dv]} float32. */
    public NDArray forward(NDArray pixelValues) {
        Shape in = pixelValues.getShape();
        if (in.dimension() != 4 || in.get(1) != config.numChannels() || in.get(2) != config.imageSize()
                || in.get(3) != config.imageSize()) {
            throw new IllegalArgumentException("pixel_values must be [B, " + config.numChannels() + ", "
                    + config.imageSize() + ", " + config.imageSize() + "], got " + in);
        }
        long b = in.get(0);
        // The reference casts pixel_values to the model dtype before the patch conv.
        NDArray pixels = pixelValues.toType(patchWeight.getDataType(), false);
        Shape stride = new Shape(config.patchSize(), config.patchSize());
        NDArray patches = Conv2d.conv2d(pixels, patchWeight, patchBias, stride).singletonOrThrow(); // [B, Dv, g, g]
        // [B, Dv, g, g] -> flatten(2) -> [B, Dv, N] -> transpose(1, 2) -> [B, N, Dv]
        NDArray tokens = patches.reshape(b, config.hiddenSize(), config.numPatches()).transpose(0, 2, 1);
        NDArray out = tokens.toType(DataType.FLOAT32, false).add(positionEmbedding); // + [N, Dv] broadcast
        if (pixels != pixelValues) {
            pixels.close();
        }
        patches.close();
        return out;
    }
}
