package pagestream.model.processor;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.util.Arrays;

import javax.imageio.ImageReader;

/**
 * A GIF's first frame as Pillow's {@code Image.open(gif).convert("RGB")} gives it, read with the JDK's reader.
 *
 * <p>Pillow's image is the logical screen (enlarged when the frame reaches past it) with the frame pasted at its
 * offset; the rest is palette index 0, or the frame's transparent index when it has one (GifImagePlugin's
 * {@code load_prepare}). The JDK reader returns the frame alone. Pillow refuses a frame whose image data ends before
 * its last row, where the JDK reader leaves the missing rows black, and decodes a frame whose data is all there
 * when only the block terminator and trailer are missing, where the JDK reader fails looking for them.
 */
final class GifFirstFrame {

    private GifFirstFrame() {
    }

    /** The bytes to give the reader: a block terminator is added where the file ends right after a data block. */
    static byte[] readable(byte[] gif) {
        return GifBlocks.endsAfterFirstImageSubBlock(gif) ? Arrays.copyOf(gif, gif.length + 1) : gif;
    }

    static int canvasWidth(GifBlocks.Layout layout, int frameWidth) {
        return Math.max(layout.screenWidth(), layout.left() + frameWidth);
    }

    static int canvasHeight(GifBlocks.Layout layout, int frameHeight) {
        return Math.max(layout.screenHeight(), layout.top() + frameHeight);
    }

    static RgbImage read(ImageReader reader, GifBlocks.Layout layout, int frameHeight, int length)
            throws IOException {
        GifRowCounter counter = new GifRowCounter();
        reader.addIIOReadUpdateListener(counter);
        BufferedImage image = reader.read(0);
        if (counter.rows() < frameHeight) {
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_IMAGE, "GIF data is truncated ("
                    + length + " bytes): its image data ends after " + counter.rows() + " of " + frameHeight
                    + " rows");
        }
        RgbImage frame = RasterToRgb.convert(image);
        int width = canvasWidth(layout, frame.width());
        int height = canvasHeight(layout, frame.height());
        if (width == frame.width() && height == frame.height()) {
            return frame;
        }
        byte[] rgb = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        byte[] fill = fillColour(image, layout.transparentIndex() >= 0 ? layout.transparentIndex() : 0);
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i] = fill[0];
            rgb[i + 1] = fill[1];
            rgb[i + 2] = fill[2];
        }
        for (int y = 0; y < frame.height(); y++) {
            System.arraycopy(frame.rgb(), y * frame.width() * 3, rgb, ((layout.top() + y) * width + layout.left()) * 3,
                    frame.width() * 3);
        }
        return new RgbImage(width, height, rgb);
    }

    /** The palette colour of {@code index}; black beyond the palette, as in Pillow. */
    private static byte[] fillColour(BufferedImage image, int index) {
        if (image.getColorModel() instanceof IndexColorModel palette && index < palette.getMapSize()) {
            return new byte[] {(byte) palette.getRed(index), (byte) palette.getGreen(index),
                (byte) palette.getBlue(index)};
        }
        return new byte[3];
    }
}
