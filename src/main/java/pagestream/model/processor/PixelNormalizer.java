package pagestream.model.processor;

/**
 * The SigLIP image processor's rescale + normalise step for ColPali checkpoints (mean = std = 0.5 per channel),
 * bit-exact: {@code float32(u8 * 0.00392156862745098)} with the product in double (numpy multiplies the uint8
 * array by a Python float), then {@code (x - 0.5f) / 0.5f} in float32. Only 256 inputs exist, so the result is
 * a lookup table.
 */
final class PixelNormalizer {

    /** transformers' {@code rescale_factor} for these checkpoints: 1/255 written to 17 digits. */
    static final double RESCALE_FACTOR = 0.00392156862745098;
    static final float MEAN = 0.5f;
    static final float STD = 0.5f;

    private static final float[] VALUES = new float[256];

    static {
        for (int v = 0; v < 256; v++) {
            float rescaled = (float) (v * RESCALE_FACTOR);
            VALUES[v] = (rescaled - MEAN) / STD;
        }
    }

    private PixelNormalizer() {
    }

    /** The model input value of one 8-bit sample. */
    static float normalize(int u8) {
        return VALUES[u8];
    }

    /**
     * Writes {@code image} channels-first ({@code [3, H, W]}) into {@code out} starting at {@code offset}.
     */
    static void writeChannelsFirst(RgbImage image, float[] out, int offset) {
        byte[] rgb = image.rgb();
        int plane = image.width() * image.height();
        int r = offset;
        int g = offset + plane;
        int b = offset + 2 * plane;
        for (int p = 0, i = 0; p < plane; p++, i += 3) {
            out[r + p] = VALUES[rgb[i] & 0xFF];
            out[g + p] = VALUES[rgb[i + 1] & 0xFF];
            out[b + p] = VALUES[rgb[i + 2] & 0xFF];
        }
    }
}
