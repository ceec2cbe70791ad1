package pagestream.model.processor;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DataBufferUShort;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;

/**
 * Turns a decoded {@link BufferedImage} into interleaved 8-bit RGB the way Pillow's {@code convert("RGB")} does:
 * alpha is dropped (never composited), palettes are expanded (their transparency ignored), grey is replicated,
 * CMYK uses Pillow's naive {@code cmyk2rgb}, 16-bit colour keeps the high byte, 16-bit grey (Pillow mode
 * {@code I;16}) saturates at 255. Samples are read straight from the raster's data buffer; no colour management
 * is applied (Pillow applies none), which is also why {@link BufferedImage#getRGB} is only the last resort.
 */
final class RasterToRgb {

    private RasterToRgb() {
    }

    static RgbImage convert(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] rgb = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        boolean untranslated = raster.getSampleModelTranslateX() == 0 && raster.getSampleModelTranslateY() == 0;
        if (cm instanceof IndexColorModel palette) {
            fromPalette(raster, palette, rgb);
        } else if (untranslated && isIntRgb(cm, raster)) {
            fromIntRgb(raster, rgb);
        } else if (untranslated && raster.getSampleModel() instanceof ComponentSampleModel layout
                && !cm.isAlphaPremultiplied() && fromComponents(raster, layout, cm, rgb)) {
            // converted in place
        } else {
            fromArgb(image, rgb);
        }
        return new RgbImage(width, height, rgb);
    }

    /**
     * The rows of a {@link BufferedImage#TYPE_INT_RGB} image (what {@link PdfRenderer} draws on), converted one at
     * a time as {@link #convert} would convert them, for a resampler that reads rows instead of a whole image.
     */
    static RgbRows rowsOfIntRgb(BufferedImage image) {
        Raster raster = image.getRaster();
        if (image.getType() != BufferedImage.TYPE_INT_RGB || raster.getSampleModelTranslateX() != 0
                || raster.getSampleModelTranslateY() != 0) {
            throw new IllegalArgumentException("not an untranslated TYPE_INT_RGB image: " + image);
        }
        DataBufferInt buffer = (DataBufferInt) raster.getDataBuffer();
        int[] data = buffer.getData();
        int scanlineStride = ((SinglePixelPackedSampleModel) raster.getSampleModel()).getScanlineStride();
        int width = raster.getWidth();
        byte[] row = new byte[width * 3];
        return new RgbRows() {
            @Override
            public int width() {
                return width;
            }

            @Override
            public int height() {
                return raster.getHeight();
            }

            @Override
            public int row(int y) {
                intRgbRow(data, buffer.getOffset() + y * scanlineStride, width, row, 0);
                return 0;
            }

            @Override
            public byte[] array() {
                return row;
            }
        };
    }

    private static void fromPalette(Raster raster, IndexColorModel palette, byte[] rgb) {
        // 256 entries, zero beyond the palette's own size: an out-of-range index reads black, as in Pillow.
        int entries = Math.max(256, palette.getMapSize());
        byte[] r = new byte[entries];
        byte[] g = new byte[entries];
        byte[] b = new byte[entries];
        palette.getReds(r);
        palette.getGreens(g);
        palette.getBlues(b);
        int width = raster.getWidth();
        int[] row = new int[width];
        int o = 0;
        for (int y = 0; y < raster.getHeight(); y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, 0, row);
            for (int x = 0; x < width; x++) {
                int i = row[x];
                rgb[o++] = r[i];
                rgb[o++] = g[i];
                rgb[o++] = b[i];
            }
        }
    }

    /** {@code TYPE_INT_RGB}/{@code TYPE_INT_ARGB} layouts (PDFBox renderings, BMP): 0xAARRGGBB per pixel. */
    private static boolean isIntRgb(ColorModel cm, Raster raster) {
        return cm instanceof DirectColorModel direct && !direct.isAlphaPremultiplied()
                && direct.getColorSpace().isCS_sRGB()
                && direct.getRedMask() == 0xFF0000 && direct.getGreenMask() == 0xFF00 && direct.getBlueMask() == 0xFF
                && raster.getDataBuffer() instanceof DataBufferInt
                && raster.getSampleModel() instanceof SinglePixelPackedSampleModel;
    }

    private static void fromIntRgb(Raster raster, byte[] rgb) {
        DataBufferInt buffer = (DataBufferInt) raster.getDataBuffer();
        int[] data = buffer.getData();
        int scanlineStride = ((SinglePixelPackedSampleModel) raster.getSampleModel()).getScanlineStride();
        int width = raster.getWidth();
        for (int y = 0; y < raster.getHeight(); y++) {
            intRgbRow(data, buffer.getOffset() + y * scanlineStride, width, rgb, y * width * 3);
        }
    }

    /** {@code width} packed 0xRRGGBB pixels from {@code data[p]} as RGB bytes at {@code out[o]} (alpha dropped). */
    private static void intRgbRow(int[] data, int p, int width, byte[] out, int o) {
        for (int x = 0; x < width; x++) {
            int pixel = data[p + x];
            out[o++] = (byte) (pixel >>> 16);
            out[o++] = (byte) (pixel >>> 8);
            out[o++] = (byte) pixel;
        }
    }

    /** Returns false when the layout is not one handled here (the caller falls back to {@code getRGB}). */
    private static boolean fromComponents(Raster raster, ComponentSampleModel layout, ColorModel cm, byte[] rgb) {
        int colourType = cm.getColorSpace().getType();
        int colours = cm.getNumColorComponents();
        boolean grey = colourType == ColorSpace.TYPE_GRAY && colours == 1;
        boolean rgbSpace = colourType == ColorSpace.TYPE_RGB && colours == 3;
        boolean cmyk = colourType == ColorSpace.TYPE_CMYK && colours == 4;
        if (!grey && !rgbSpace && !cmyk) {
            return false;
        }
        DataBuffer buffer = raster.getDataBuffer();
        int[] bandOffsets = layout.getBandOffsets();
        int[] banks = layout.getBankIndices();
        int pixelStride = layout.getPixelStride();
        int scanlineStride = layout.getScanlineStride();
        int width = raster.getWidth();
        int height = raster.getHeight();
        int bands = grey ? 1 : colours;
        if (buffer instanceof DataBufferByte bytes) {
            byte[][] data = new byte[bands][];
            int[] base = new int[bands];
            for (int c = 0; c < bands; c++) {
                data[c] = bytes.getData(banks[c]);
                base[c] = bytes.getOffsets()[banks[c]] + bandOffsets[c];
            }
            if (grey) {
                greyBytes(data[0], base[0], pixelStride, scanlineStride, width, height, rgb);
            } else if (cmyk) {
                cmykBytes(data, base, pixelStride, scanlineStride, width, height, rgb);
            } else {
                rgbBytes(data, base, pixelStride, scanlineStride, width, height, rgb);
            }
            return true;
        }
        if (buffer instanceof DataBufferUShort shorts && !cmyk) {
            short[][] data = new short[bands][];
            int[] base = new int[bands];
            for (int c = 0; c < bands; c++) {
                data[c] = shorts.getData(banks[c]);
                base[c] = shorts.getOffsets()[banks[c]] + bandOffsets[c];
            }
            // Pillow: 16-bit grey opens as I;16 and converts by saturating; 16-bit grey+alpha and RGB(A) are
            // unpacked to 8 bits by keeping the most significant byte.
            boolean saturate = grey && !cm.hasAlpha();
            int o = 0;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int p = y * scanlineStride + x * pixelStride;
                    for (int c = 0; c < 3; c++) {
                        int band = grey ? 0 : c;
                        int v = data[band][base[band] + p] & 0xFFFF;
                        rgb[o++] = (byte) (saturate ? Math.min(v, 255) : v >>> 8);
                    }
                }
            }
            return true;
        }
        return false;
    }

    private static void rgbBytes(byte[][] data, int[] base, int pixelStride, int scanlineStride,
            int width, int height, byte[] rgb) {
        boolean interleavedRgb = data[0] == data[1] && data[1] == data[2] && pixelStride == 3
                && base[1] == base[0] + 1 && base[2] == base[0] + 2;
        if (interleavedRgb) {
            // The common case (PNG RGB): rows are already what we want.
            for (int y = 0; y < height; y++) {
                System.arraycopy(data[0], base[0] + y * scanlineStride, rgb, y * width * 3, width * 3);
            }
            return;
        }
        byte[] r = data[0];
        byte[] g = data[1];
        byte[] b = data[2];
        int o = 0;
        for (int y = 0; y < height; y++) {
            int p = y * scanlineStride;
            for (int x = 0; x < width; x++, p += pixelStride) {
                rgb[o++] = r[base[0] + p];
                rgb[o++] = g[base[1] + p];
                rgb[o++] = b[base[2] + p];
            }
        }
    }

    private static void greyBytes(byte[] data, int base, int pixelStride, int scanlineStride,
            int width, int height, byte[] rgb) {
        int o = 0;
        for (int y = 0; y < height; y++) {
            int p = base + y * scanlineStride;
            for (int x = 0; x < width; x++, p += pixelStride) {
                byte v = data[p];
                rgb[o++] = v;
                rgb[o++] = v;
                rgb[o++] = v;
            }
        }
    }

    /** Pillow's {@code cmyk2rgb}: {@code channel = (255 - k) - (ink * (255 - k)) / 255}, rounded its way. */
    private static void cmykBytes(byte[][] data, int[] base, int pixelStride, int scanlineStride,
            int width, int height, byte[] rgb) {
        int o = 0;
        for (int y = 0; y < height; y++) {
            int p = y * scanlineStride;
            for (int x = 0; x < width; x++, p += pixelStride) {
                int notBlack = 255 - (data[3][base[3] + p] & 0xFF);
                for (int c = 0; c < 3; c++) {
                    int ink = data[c][base[c] + p] & 0xFF;
                    rgb[o++] = (byte) (notBlack - mulDiv255(ink, notBlack));
                }
            }
        }
    }

    /** {@code round(a * b / 255)} as Pillow's MULDIV255 computes it. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    /** Last resort for exotic layouts (packed 16-bit BMP, premultiplied alpha): ColorModel's own conversion. */
    private static void fromArgb(BufferedImage image, byte[] rgb) {
        int width = image.getWidth();
        int[] row = new int[width];
        int o = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            image.getRGB(0, y, width, 1, row, 0, width);
            for (int x = 0; x < width; x++) {
                int argb = row[x];
                rgb[o++] = (byte) (argb >>> 16);
                rgb[o++] = (byte) (argb >>> 8);
                rgb[o++] = (byte) argb;
            }
        }
    }
}
