package pagestream.model.processor;

import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;

/**
 * What Pillow's {@code Image.open(jpeg).convert("RGB")} makes of a JPEG's decoded samples, given libjpeg's raw
 * (upsampled, not colour-converted) output as {@code ImageReader.readRaster} returns it.
 *
 * <p>Pillow opens 1, 3 and 4 components as {@code L}, {@code RGB} and {@code CMYK} and lets libjpeg convert; libjpeg
 * decides what the components are from the markers alone ({@code default_decompress_parms} in jdapimin.c, the same
 * in libjpeg 6b and libjpeg-turbo): {@link Space#of}. The conversions here are libjpeg's integer ones
 * (jdcolor.c: 16-bit fixed-point tables, rounding, clamping), then Pillow's {@code CMYK;I} unpacking and
 * {@code cmyk2rgb}. Doing the conversion here rather than through {@code ImageReader.read} is what keeps embedded
 * ICC profiles out (Pillow ignores them; TwelveMonkeys applies them) and makes Adobe YCCK files come out as Pillow's.
 */
final class JpegColour {

    private static final int SCALE_BITS = 16;
    private static final int ONE_HALF = 1 << (SCALE_BITS - 1);
    /** libjpeg's build_ycc_rgb_table, indexed by the chroma sample (x = sample - 128). */
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    /** libjpeg's range_limit: {@code RANGE[RANGE_OFFSET + v]} is v clamped to 0..255, for v in -384..639. */
    private static final int RANGE_OFFSET = 384;
    private static final byte[] RANGE = new byte[1024];

    /** Rounding of h1v2_fancy_upsample for the upper and the lower row of a pair. */
    private static final int[] UPSAMPLE_BIAS = {1, 2};

    static {
        for (int v = -RANGE_OFFSET; v < RANGE.length - RANGE_OFFSET; v++) {
            RANGE[RANGE_OFFSET + v] = (byte) clamp(v);
        }
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALE_BITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALE_BITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private JpegColour() {
    }

    private static int fix(double x) {
        return (int) (x * (1L << SCALE_BITS) + 0.5);
    }

    /** The colour space libjpeg assigns to the stored components. */
    enum Space {
        GREY, YCBCR, RGB, CMYK, YCCK;

        /** libjpeg's rules: JFIF means YCbCr; else the Adobe transform; else the component ids. */
        static Space of(JpegMarkers markers) {
            return switch (markers.components()) {
                case 1 -> GREY;
                case 3 -> {
                    if (markers.jfif()) {
                        yield YCBCR;
                    }
                    if (markers.adobeTransform() >= 0) {
                        yield markers.adobeTransform() == 0 ? RGB : YCBCR;
                    }
                    int[] ids = markers.componentIds();
                    yield ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B' ? RGB : YCBCR;
                }
                case 4 -> markers.adobeTransform() > 0 ? YCCK : CMYK; // no Adobe marker: plain (inverted) CMYK
                default -> throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_IMAGE,
                        "JPEG has " + markers.components() + " components; Pillow opens only 1, 3 or 4");
            };
        }

        int bands() {
            return switch (this) {
                case GREY -> 1;
                case YCBCR, RGB -> 3;
                case CMYK, YCCK -> 4;
            };
        }
    }

    /**
     * Converts libjpeg's raw samples of {@code space} to Pillow's RGB; components the JDK's libjpeg upsampled by
     * repeating rows ({@code verticallyHalved}) are first re-upsampled as libjpeg-turbo does.
     */
    static RgbImage toRgb(Raster raw, Space space, boolean[] verticallyHalved) {
        if (raw.getNumBands() != space.bands()) {
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_IMAGE, "JPEG decoded to "
                    + raw.getNumBands() + " bands where its markers say " + space + " (" + space.bands() + ")");
        }
        int width = raw.getWidth();
        int height = raw.getHeight();
        byte[] rgb = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        int bands = space.bands();
        byte[] samples;
        int base;
        int stride;
        if (raw.getSampleModel() instanceof ComponentSampleModel layout
                && raw.getDataBuffer() instanceof DataBufferByte buffer && buffer.getNumBanks() == 1
                && isInterleaved(layout, bands)) {
            // The JDK reader's layout: the samples are converted where they lie.
            samples = buffer.getData();
            base = buffer.getOffset() + layout.getOffset(raw.getMinX() - raw.getSampleModelTranslateX(),
                    raw.getMinY() - raw.getSampleModelTranslateY());
            stride = layout.getScanlineStride();
        } else {
            samples = new byte[Math.multiplyExact(width * height, bands)];
            base = 0;
            stride = width * bands;
            int[] row = new int[width * bands];
            for (int y = 0, o = 0; y < height; y++) {
                raw.getPixels(raw.getMinX(), raw.getMinY() + y, width, 1, row);
                for (int sample : row) {
                    samples[o++] = (byte) sample;
                }
            }
        }
        for (int c = 0; c < Math.min(bands, verticallyHalved.length); c++) {
            if (verticallyHalved[c]) {
                interpolateRepeatedRows(samples, base, stride, width, height, bands, c);
            }
        }
        convertRows(samples, base, stride, width, height, space, rgb);
        return new RgbImage(width, height, rgb);
    }

    /**
     * libjpeg-turbo's h1v2_fancy_upsample on band {@code band}, whose rows come in repeated pairs (libjpeg 6b's
     * int_upsample): each output row is 3/4 of its source row plus 1/4 of the nearer neighbour (the row above for
     * the upper of the pair, below for the lower), the image's first and last source rows standing in for their
     * missing neighbours.
     */
    private static void interpolateRepeatedRows(byte[] data, int base, int stride, int width, int height, int bands,
            int band) {
        int sourceRows = (height + 1) / 2;
        byte[] source = new byte[sourceRows * width];
        for (int r = 0; r < sourceRows; r++) {
            for (int x = 0, p = base + 2 * r * stride + band; x < width; x++, p += bands) {
                source[r * width + x] = data[p];
            }
        }
        for (int y = 0; y < height; y++) {
            int r = y / 2;
            int neighbour = (y & 1) == 0 ? Math.max(r - 1, 0) : Math.min(r + 1, sourceRows - 1);
            int bias = UPSAMPLE_BIAS[y & 1];
            for (int x = 0, p = base + y * stride + band; x < width; x++, p += bands) {
                int sum = 3 * (source[r * width + x] & 0xFF) + (source[neighbour * width + x] & 0xFF);
                data[p] = (byte) ((sum + bias) >> 2);
            }
        }
    }

    private static boolean isInterleaved(ComponentSampleModel layout, int bands) {
        int[] offsets = layout.getBandOffsets();
        if (layout.getPixelStride() != bands || offsets.length != bands) {
            return false;
        }
        for (int b = 0; b < bands; b++) {
            if (offsets[b] != b || layout.getBankIndices()[b] != 0) {
                return false;
            }
        }
        return true;
    }

    private static void convertRows(byte[] in, int base, int stride, int width, int height, Space space,
            byte[] rgb) {
        int o = 0;
        for (int row = 0; row < height; row++) {
            int p = base + row * stride;
            int end = p + width * space.bands();
            switch (space) {
                case GREY -> {
                    for (; p < end; p++) {
                        byte v = in[p];
                        rgb[o++] = v;
                        rgb[o++] = v;
                        rgb[o++] = v;
                    }
                }
                case RGB -> {
                    System.arraycopy(in, p, rgb, o, width * 3);
                    o += width * 3;
                }
                case YCBCR -> {
                    for (; p < end; p += 3, o += 3) {
                        byte luma = in[p];
                        int cb = in[p + 1] & 0xFF;
                        int cr = in[p + 2] & 0xFF;
                        if (cb == 128 && cr == 128) {
                            // neutral chroma (most of a document page): every table entry is 0, R = G = B = Y
                            rgb[o] = luma;
                            rgb[o + 1] = luma;
                            rgb[o + 2] = luma;
                        } else {
                            int y = luma & 0xFF;
                            rgb[o] = RANGE[RANGE_OFFSET + y + CR_R[cr]];
                            rgb[o + 1] = RANGE[RANGE_OFFSET + y + ((CB_G[cb] + CR_G[cr]) >> SCALE_BITS)];
                            rgb[o + 2] = RANGE[RANGE_OFFSET + y + CB_B[cb]];
                        }
                    }
                }
                case CMYK -> {
                    for (; p < end; p += 4) {
                        // libjpeg passes the stored (Adobe-inverted) CMYK through; Pillow's CMYK;I un-inverts it,
                        // so its ink is 255 - stored and 255 - K is the stored K.
                        int notBlack = in[p + 3] & 0xFF;
                        rgb[o++] = (byte) cmykChannel(255 - (in[p] & 0xFF), notBlack);
                        rgb[o++] = (byte) cmykChannel(255 - (in[p + 1] & 0xFF), notBlack);
                        rgb[o++] = (byte) cmykChannel(255 - (in[p + 2] & 0xFF), notBlack);
                    }
                }
                case YCCK -> {
                    for (; p < end; p += 4) {
                        // libjpeg's ycck_cmyk_convert gives 255 - clamp(YCbCr -> RGB); Pillow un-inverts that back
                        // to the clamped RGB value as its ink; K is passed through as for CMYK.
                        int luma = in[p] & 0xFF;
                        int cb = in[p + 1] & 0xFF;
                        int cr = in[p + 2] & 0xFF;
                        int notBlack = in[p + 3] & 0xFF;
                        rgb[o++] = (byte) cmykChannel(clamp(luma + CR_R[cr]), notBlack);
                        rgb[o++] = (byte) cmykChannel(clamp(luma + ((CB_G[cb] + CR_G[cr]) >> SCALE_BITS)), notBlack);
                        rgb[o++] = (byte) cmykChannel(clamp(luma + CB_B[cb]), notBlack);
                    }
                }
                default -> throw new IllegalStateException(space.name());
            }
        }
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** Pillow's {@code cmyk2rgb} for one channel: {@code (255 - k) - round(ink * (255 - k) / 255)}. */
    private static int cmykChannel(int ink, int notBlack) {
        int t = ink * notBlack + 128;
        return notBlack - (((t >> 8) + t) >> 8);
    }
}
