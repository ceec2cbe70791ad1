package pagestream.model.processor;

import java.util.Objects;

/**
 * A decoded page image: 8-bit RGB, interleaved, row-major ({@code rgb[(y * width + x) * 3 + c]}).
 * This is the reference's {@code image.convert("RGB")} result, before any resize.
 */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        Objects.requireNonNull(rgb, "rgb");
        if (width <= 0 || height <= 0 || rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("RGB image " + width + "x" + height + " needs "
                    + ((long) width * height * 3) + " bytes, got " + rgb.length);
        }
    }
}
