package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.Deflater;

import org.junit.jupiter.api.Test;

/**
 * {@link ImageDecoder#decodeResized} streams a PNG's rows into the resampler and reuses its inflate buffer: it
 * must give the bytes of decoding the whole image and resizing it, for every layout, size and order of use.
 */
class DecodeResizedTest {

    private final ImageDecoder decoder = new ImageDecoder(10_000_000L);

    /** (width, height) targets: both axes down, both up, one axis kept, the other kept, the same size. */
    private static final int[][] TARGETS = {{48, 40}, {301, 250}, {97, 40}, {48, 83}, {97, 83}, {1, 1}};

    @Test
    void everyPngLayoutMatchesDecodeThenResize() throws Exception {
        Random random = new Random(20261127);
        int w = 97;
        int h = 83;
        for (BufferedImage image : new BufferedImage[] {
                page(random, w, h, BufferedImage.TYPE_3BYTE_BGR), page(random, w, h, BufferedImage.TYPE_INT_ARGB),
                page(random, w, h, BufferedImage.TYPE_BYTE_GRAY), greyAlpha(random, w, h), palette(random, w, h)}) {
            byte[] png = ImageDecoderTest.encode(image, "png");
            assertThat(PngDecoder.header(png).direct()).isTrue();
            RgbImage whole = decoder.decode(png);
            for (int[] target : TARGETS) {
                RgbImage streamed = decoder.decodeResized(png, target[0], target[1]);

                assertThat(streamed.rgb()).as("type %d -> %dx%d", image.getType(), target[0], target[1])
                        .isEqualTo(BicubicResizer.resize(whole, target[0], target[1]).rgb());
            }
        }
    }

    @Test
    void aBadTargetSizeIsTheCallersErrorNotTheImages() throws Exception {
        byte[] png = ImageDecoderTest.encode(page(new Random(1), 20, 10, BufferedImage.TYPE_3BYTE_BGR), "png");

        assertThatThrownBy(() -> decoder.decodeResized(png, 0, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x10");
    }

    @Test
    void formatsLeftToImageIoAreResizedTheSameWay() throws Exception {
        BufferedImage image = page(new Random(3), 61, 45, BufferedImage.TYPE_3BYTE_BGR);
        for (String format : new String[] {"bmp", "tiff", "jpeg"}) {
            byte[] encoded = ImageDecoderTest.encode(image, format);

            assertThat(decoder.decodeResized(encoded, 32, 32).rgb()).as(format)
                    .isEqualTo(BicubicResizer.resize(decoder.decode(encoded), 32, 32).rgb());
        }
        byte[] bmp = ImageDecoderTest.encode(image, "bmp");
        assertThat(decoder.decodeResized(bmp, 61, 45).rgb()).isEqualTo(decoder.decode(bmp).rgb());
    }

    @Test
    void aReusedBufferCarriesNothingFromThePreviousPage() throws Exception {
        Random random = new Random(11);
        byte[] large = ImageDecoderTest.encode(page(random, 400, 300, BufferedImage.TYPE_3BYTE_BGR), "png");
        byte[] small = ImageDecoderTest.encode(page(random, 50, 20, BufferedImage.TYPE_BYTE_GRAY), "png");
        RgbImage smallAlone = decoder.decodeResized(small, 16, 16);

        decoder.decodeResized(large, 16, 16); // the kept buffer now holds the large page's data
        assertThat(decoder.decodeResized(small, 16, 16).rgb()).isEqualTo(smallAlone.rgb());

        // The small page's stream cut short: refused, not completed with the large page's leftover bytes.
        decoder.decodeResized(large, 16, 16);
        byte[] truncated = pngWithRows(50, 20, y -> 0, true);
        assertThatThrownBy(() -> decoder.decodeResized(truncated, 16, 16))
                .isInstanceOfSatisfying(ImageDecodeException.class, e -> {
                    assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.CORRUPT_IMAGE);
                    assertThat(e.getMessage()).contains("truncated");
                });
    }

    @Test
    void aBadFilterTypeInTheLastRowRefusesThePage() {
        byte[] png = pngWithRows(40, 30, y -> y == 29 ? 9 : y % 5, false);

        for (int[] target : new int[][] {{20, 10}, {40, 30}, {80, 60}}) {
            assertThatThrownBy(() -> decoder.decodeResized(png, target[0], target[1]))
                    .isInstanceOfSatisfying(ImageDecodeException.class, e -> {
                        assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.CORRUPT_IMAGE);
                        assertThat(e.getMessage()).contains("row 29 has unknown filter type 9");
                    });
        }
    }

    /** An RGB PNG of random samples whose row {@code y} declares filter type {@code filter(y)}. */
    private static byte[] pngWithRows(int width, int height, java.util.function.IntUnaryOperator filter,
                                      boolean cutShort) {
        Random random = new Random(5);
        ByteArrayOutputStream rows = new ByteArrayOutputStream();
        for (int y = 0; y < height; y++) {
            rows.write(filter.applyAsInt(y));
            byte[] samples = new byte[width * 3];
            random.nextBytes(samples);
            rows.writeBytes(samples);
        }
        byte[] raw = rows.toByteArray();
        Deflater deflater = new Deflater();
        deflater.setInput(cutShort ? Arrays.copyOf(raw, raw.length / 2) : raw);
        deflater.finish();
        byte[] zlib = new byte[raw.length + 1024];
        int length = deflater.deflate(zlib, 0, zlib.length, cutShort ? Deflater.FULL_FLUSH : Deflater.NO_FLUSH);
        deflater.end();
        return ImageDecoderTest.pngHeaderOnly(width, height, ImageDecoderTest.chunk("IDAT", Arrays.copyOf(zlib, length)));
    }

    /** Page-like content: white background, dark text-like runs, noisy rows. */
    private static BufferedImage page(Random random, int w, int h, int type) {
        BufferedImage image = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            int kind = random.nextInt(3);
            for (int x = 0; x < w; x++) {
                int rgb = switch (kind) {
                    case 0 -> 0xFFFFFF;
                    case 1 -> (x / 5) % 2 == 0 ? 0x202020 : 0xFAFAFA;
                    default -> random.nextInt(0x1000000);
                };
                image.setRGB(x, y, (type == BufferedImage.TYPE_INT_ARGB ? random.nextInt(256) << 24 : 0xFF000000) | rgb);
            }
        }
        return image;
    }

    private static BufferedImage greyAlpha(Random random, int w, int h) {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        BufferedImage image = new BufferedImage(cm, cm.createCompatibleWritableRaster(w, h), false, null);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.getRaster().setSample(x, y, 0, y % 4 == 0 ? random.nextInt(256) : 255 - x);
                image.getRaster().setSample(x, y, 1, random.nextInt(256));
            }
        }
        return image;
    }

    private static BufferedImage palette(Random random, int w, int h) {
        byte[] r = new byte[16];
        byte[] g = new byte[16];
        byte[] b = new byte[16];
        random.nextBytes(r);
        random.nextBytes(g);
        random.nextBytes(b);
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 16, r, g, b));
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.getRaster().setSample(x, y, 0, y % 3 == 0 ? random.nextInt(16) : (x / 9) % 16);
            }
        }
        return image;
    }
}
