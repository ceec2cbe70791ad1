package pagestream.model.processor;

import java.util.List;
import java.util.Objects;

/**
 * {@code pixel_values} without a tokenizer: the reference bicubic resize to {@code size x size}, then the SigLIP
 * rescale + normalise, channels-first — the image half of {@link ColPaliProcessor}, for tools that only need it.
 */
public final class PixelValues {

    private PixelValues() {
    }

    /** {@code [N, 3, size, size]} float32. */
    public static float[] of(List<RgbImage> images, int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + size);
        }
        int perImage = 3 * size * size;
        float[] out = new float[Math.multiplyExact(images.size(), perImage)];
        for (int n = 0; n < images.size(); n++) {
            RgbImage image = BicubicResizer.resize(Objects.requireNonNull(images.get(n), "image " + n), size, size);
            PixelNormalizer.writeChannelsFirst(image, out, n * perImage);
        }
        return out;
    }
}
