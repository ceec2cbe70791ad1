package pagestream.model.processor;

import java.awt.image.BufferedImage;

import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadUpdateListener;

/**
 * Counts the rows the JDK's GIF reader has decoded, to tell a complete frame from a short one.
 *
 * <p>The JDK reader treats the end of the LZW data as the end of the image and leaves the rows it did not reach
 * black (palette index 0); Pillow refuses such a file ("image file is truncated"). The reader reports every row
 * it writes to its update listeners, in interlaced files too (each row once, in pass order).
 */
final class GifRowCounter implements IIOReadUpdateListener {

    private int rows;

    /** Rows decoded so far. */
    int rows() {
        return rows;
    }

    @Override
    public void imageUpdate(ImageReader source, BufferedImage theImage, int minX, int minY, int width, int height,
            int periodX, int periodY, int[] bands) {
        rows++;
    }

    @Override
    public void passStarted(ImageReader source, BufferedImage theImage, int pass, int minPass, int maxPass, int minX,
            int minY, int periodX, int periodY, int[] bands) {
    }

    @Override
    public void passComplete(ImageReader source, BufferedImage theImage) {
    }

    @Override
    public void thumbnailPassStarted(ImageReader source, BufferedImage theThumbnail, int pass, int minPass,
            int maxPass, int minX, int minY, int periodX, int periodY, int[] bands) {
    }

    @Override
    public void thumbnailUpdate(ImageReader source, BufferedImage theThumbnail, int minX, int minY, int width,
            int height, int periodX, int periodY, int[] bands) {
    }

    @Override
    public void thumbnailPassComplete(ImageReader source, BufferedImage theThumbnail) {
    }
}
