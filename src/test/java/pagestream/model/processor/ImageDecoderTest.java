package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import org.junit.jupiter.api.Test;

/**
 * Every supported format and pixel layout decodes to what Pillow's {@code convert("RGB")} gives: images are
 * written here with ImageIO's encoders from known pixels and the expected RGB follows Pillow's rules.
 */
class ImageDecoderTest {

    private static final int W = 37;
    private static final int H = 23;
    private final ImageDecoder decoder = new ImageDecoder(1_000_000L);

    /** A pattern with distinct values in every channel. */
    private static int sample(int x, int y, int c) {
        return (x * 7 + y * 13 + c * 71 + x * y) & 0xFF;
    }

    private static byte[] expectedPattern() {
        byte[] rgb = new byte[W * H * 3];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                for (int c = 0; c < 3; c++) {
                    rgb[(y * W + x) * 3 + c] = (byte) sample(x, y, c);
                }
            }
        }
        return rgb;
    }

    @Test
    void rgbaPngDropsAlphaWithoutCompositing() throws Exception {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int alpha = x * 255 / (W - 1); // fully transparent on the left edge
                image.setRGB(x, y, alpha << 24 | sample(x, y, 0) << 16 | sample(x, y, 1) << 8 | sample(x, y, 2));
            }
        }
        assertDecodes(encode(image, "png"), expectedPattern());
    }

    @Test
    void pngImageDataSplitOverSeveralIdatChunksDecodesAsOneStream() {
        byte[] pattern = expectedPattern();
        ByteArrayOutputStream rows = new ByteArrayOutputStream();
        for (int y = 0; y < H; y++) {
            rows.write(0); // filter type None
            rows.write(pattern, y * W * 3, W * 3);
        }
        Deflater deflater = new Deflater();
        deflater.setInput(rows.toByteArray());
        deflater.finish();
        byte[] zlib = new byte[rows.size() + 1024];
        int length = deflater.deflate(zlib);
        deflater.end();

        byte[] one = pngHeaderOnly(W, H, chunk("IDAT", Arrays.copyOf(zlib, length)));
        // uneven parts, an empty chunk among them (allowed: the stream is the concatenation)
        byte[] several = pngHeaderOnly(W, H, chunk("IDAT", Arrays.copyOfRange(zlib, 0, 5)),
                chunk("IDAT", new byte[0]), chunk("IDAT", Arrays.copyOfRange(zlib, 5, length / 2)),
                chunk("IDAT", Arrays.copyOfRange(zlib, length / 2, length)));
        assertDecodes(one, pattern);
        assertDecodes(several, pattern);

        // After the image data, a chunk declaring 2 GiB - 16 bytes of which the file holds 3: the chunk walk stops
        // there (its end lies past the file), it does not wrap around to a negative offset.
        byte[] lying = ByteBuffer.allocate(11).putInt(0x7FFFFFF0).put("tEXt".getBytes(StandardCharsets.US_ASCII))
                .put(new byte[] {1, 2, 3}).array();
        assertDecodes(pngHeaderOnly(W, H, chunk("IDAT", Arrays.copyOf(zlib, length)), lying), pattern);
    }

    @Test
    void rgbPngAndBmpAndTiffAreExact() throws Exception {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                image.setRGB(x, y, sample(x, y, 0) << 16 | sample(x, y, 1) << 8 | sample(x, y, 2));
            }
        }
        for (String format : new String[] {"png", "bmp", "tiff"}) {
            assertDecodes(encode(image, format), expectedPattern());
        }
    }

    @Test
    void greyPngIsReplicatedWithoutGammaConversion() throws Exception {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = image.getRaster();
        byte[] expected = new byte[W * H * 3];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                raster.setSample(x, y, 0, sample(x, y, 0));
                Arrays.fill(expected, (y * W + x) * 3, (y * W + x) * 3 + 3, (byte) sample(x, y, 0));
            }
        }
        assertDecodes(encode(image, "png"), expected);
    }

    @Test
    void greyAlphaPngKeepsTheGreyLevel() throws Exception {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        BufferedImage image = new BufferedImage(cm, cm.createCompatibleWritableRaster(W, H), false, null);
        byte[] expected = new byte[W * H * 3];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                image.getRaster().setSample(x, y, 0, sample(x, y, 1));
                image.getRaster().setSample(x, y, 1, sample(x, y, 2));
                Arrays.fill(expected, (y * W + x) * 3, (y * W + x) * 3 + 3, (byte) sample(x, y, 1));
            }
        }
        assertDecodes(encode(image, "png"), expected);
    }

    @Test
    void palettePngAndGifExpandThePaletteIgnoringTransparency() throws Exception {
        int colours = 16;
        byte[] r = new byte[colours];
        byte[] g = new byte[colours];
        byte[] b = new byte[colours];
        byte[] a = new byte[colours];
        for (int i = 0; i < colours; i++) {
            r[i] = (byte) (i * 16 + 3);
            g[i] = (byte) (255 - i * 9);
            b[i] = (byte) (i * i);
            a[i] = (byte) (i == 5 ? 0 : 255); // index 5 is transparent
        }
        byte[] expected = new byte[W * H * 3];
        BufferedImage png = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, colours, r, g, b, a));
        BufferedImage gif = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, colours, r, g, b, 5));
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int index = (x + 3 * y) % colours;
                png.getRaster().setSample(x, y, 0, index);
                gif.getRaster().setSample(x, y, 0, index);
                int o = (y * W + x) * 3;
                expected[o] = r[index];
                expected[o + 1] = g[index];
                expected[o + 2] = b[index];
            }
        }
        assertDecodes(encode(png, "png"), expected);
        assertDecodes(encode(gif, "gif"), expected);
    }

    @Test
    void oneBitPngBecomesBlackAndWhite() throws Exception {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_BINARY);
        byte[] expected = new byte[W * H * 3];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int bit = (x + y) % 3 == 0 ? 1 : 0;
                image.getRaster().setSample(x, y, 0, bit);
                Arrays.fill(expected, (y * W + x) * 3, (y * W + x) * 3 + 3, (byte) (bit * 255));
            }
        }
        assertDecodes(encode(image, "png"), expected);
    }

    @Test
    void sixteenBitRgbPngKeepsTheHighByte() throws Exception {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        BufferedImage image = new BufferedImage(cm, cm.createCompatibleWritableRaster(W, H), false, null);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                for (int c = 0; c < 3; c++) {
                    // low byte deliberately >= 0x80: rounding instead of truncation would show
                    image.getRaster().setSample(x, y, c, sample(x, y, c) << 8 | 0xC7);
                }
            }
        }
        assertDecodes(encode(image, "png"), expectedPattern());
    }

    @Test
    void sixteenBitGreyPngSaturatesLikePillowsModeI16() throws Exception {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_USHORT_GRAY);
        byte[] expected = new byte[W * H * 3];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int value = (x * 977 + y * 4099) % 1000; // both below and above 255
                image.getRaster().setSample(x, y, 0, value);
                Arrays.fill(expected, (y * W + x) * 3, (y * W + x) * 3 + 3, (byte) Math.min(value, 255));
            }
        }
        assertDecodes(encode(image, "png"), expected);
    }

    @Test
    void noisyRgbaPngExercisesEveryRowFilter() throws Exception {
        // Noise next to smooth gradients makes the encoder's adaptive filtering pick all five filter types.
        java.util.Random random = new java.util.Random(7);
        int w = 301;
        int h = 97;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        byte[] expected = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int argb = (y % 3 == 0) ? random.nextInt() : (x * 3 + y) << 24 | (x & 0xFF) << 16 | (y * 2) << 8 | 77;
                image.setRGB(x, y, argb);
                int o = (y * w + x) * 3;
                expected[o] = (byte) (argb >> 16);
                expected[o + 1] = (byte) (argb >> 8);
                expected[o + 2] = (byte) argb;
            }
        }
        RgbImage decoded = decoder.decode(encode(image, "png"));
        assertThat(decoded.rgb()).isEqualTo(expected);
    }

    @Test
    void interlacedPngFallsBackToImageIo() throws Exception {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                image.setRGB(x, y, sample(x, y, 0) << 16 | sample(x, y, 1) << 8 | sample(x, y, 2));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT); // Adam7
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        assertThat(out.toByteArray()[28]).as("IHDR interlace method").isEqualTo((byte) 1);
        assertDecodes(out.toByteArray(), expectedPattern());
    }

    @Test
    void progressiveJpegDecodesCloseToItsSource() throws Exception {
        BufferedImage image = smoothRgb();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        byte[] jpeg = out.toByteArray();
        assertThat(new String(jpeg, StandardCharsets.ISO_8859_1)).as("progressive SOF2 marker").contains("\u00FF\u00C2");

        RgbImage decoded = decoder.decode(jpeg);

        assertThat(maxDiff(decoded.rgb(), rgbOf(image))).isLessThanOrEqualTo(24);
    }

    @Test
    void greyJpegIsReplicated() throws Exception {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
        byte[] expected = new byte[W * H * 3];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int v = 40 + 4 * x + 3 * y;
                image.getRaster().setSample(x, y, 0, v);
                Arrays.fill(expected, (y * W + x) * 3, (y * W + x) * 3 + 3, (byte) v);
            }
        }
        RgbImage decoded = decoder.decode(encode(image, "jpeg"));
        byte[] rgb = decoded.rgb();
        for (int p = 0; p < W * H; p++) {
            assertThat(rgb[p * 3]).isEqualTo(rgb[p * 3 + 1]).isEqualTo(rgb[p * 3 + 2]);
        }
        assertThat(maxDiff(rgb, expected)).isLessThanOrEqualTo(8);
    }

    @Test
    void cmykJpegUsesPillowsNaiveConversion() throws Exception {
        // Fixture and expected RGB both written by Pillow (see src/test/resources/processor/README.md).
        RgbImage decoded = decoder.decode(resource("/processor/cmyk_adobe_pillow.jpg"));
        RgbImage expected = decoder.decode(resource("/processor/cmyk_adobe_pillow_rgb.png"));

        assertThat(new int[] {decoded.width(), decoded.height()}).containsExactly(24, 16);
        assertThat(decoded.rgb()).isEqualTo(expected.rgb());
    }

    @Test
    void declaredBombIsRefusedFromTheHeaderAlone() {
        byte[] bomb = pngHeaderOnly(100_000, 100_000);
        ImageDecoder generous = new ImageDecoder(89_478_485L);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();

        assertThatThrownBy(() -> generous.decode(bomb))
                .isInstanceOfSatisfying(ImageDecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS))
                .hasMessageContaining("100000x100000");

        assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L);
        assertThat(threads.getCurrentThreadAllocatedBytes() - allocatedBefore).isLessThan(16L << 20);
    }

    @Test
    void pngTooShortForItsDeclaredSizeIsRefusedBeforeTheRasterIsAllocated() {
        // fuzzing found it: 9000 x 9000 passes the pixel limit, and the 243 MB raster was allocated before row 0
        // failed; a zlib stream inflates at most 1032-fold, so 16 bytes of IDAT cannot hold it
        byte[] png = pngHeaderOnly(9000, 9000, chunk("IDAT", new byte[16]));
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();

        assertThatThrownBy(() -> new ImageDecoder(89_478_485L).decode(png))
                .isInstanceOfSatisfying(ImageDecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.CORRUPT_IMAGE))
                .hasMessageContaining("16 compressed bytes cannot hold the 243000000 bytes of a 9000x9000 image");

        assertThat(threads.getCurrentThreadAllocatedBytes() - allocatedBefore).isLessThan(16L << 20);
    }

    @Test
    void jpegCutBeforeItsImageDataIsTruncatedNotAGreyPage() throws Exception {
        // fuzzing found it: a JPEG cut inside its SOS header decoded as an all-grey page (libjpeg pads it and warns
        // only "Missing EOI marker"); Pillow refuses it as truncated
        byte[] jpeg = GoldenPreprocessTest.resource("page3_libtasn1_p5.jpg");
        int sos = indexOfMarker(jpeg, 0xDA);
        ImageDecoder pages = new ImageDecoder(10_000_000L);
        int sosHeaderEnd = sos + 2 + ((jpeg[sos + 2] & 0xFF) << 8 | jpeg[sos + 3] & 0xFF);
        for (int cut : new int[] {sos, sos + 2, sos + 9, sosHeaderEnd}) {
            assertThatThrownBy(() -> pages.decode(Arrays.copyOf(jpeg, cut))).as("cut at " + cut)
                    .isInstanceOfSatisfying(ImageDecodeException.class,
                            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.CORRUPT_IMAGE))
                    .hasMessageContaining("truncated");
        }
        assertThat(JpegMarkers.read(jpeg).scanDataFollows()).isTrue();
    }

    private static int indexOfMarker(byte[] jpeg, int marker) {
        for (int i = 2; i < jpeg.length - 1; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == marker) {
                return i;
            }
        }
        throw new AssertionError("no marker " + Integer.toHexString(marker));
    }

    @Test
    void configuredLimitApplies() throws Exception {
        byte[] png = encode(new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR), "png");
        assertThat(new ImageDecoder(W * H).decode(png).width()).isEqualTo(W);
        assertReason(() -> new ImageDecoder(W * H - 1).decode(png), ImageDecodeException.Reason.TOO_MANY_PIXELS);
    }

    @Test
    void emptyUnknownCorruptAndTruncatedInputsGetReasons() throws Exception {
        byte[] page = GoldenPreprocessTest.resource("page1_libtasn1_p3.png");
        byte[] jpeg = GoldenPreprocessTest.resource("page3_libtasn1_p5.jpg");
        byte[] garbagePng = Arrays.copyOf(page, 200);
        Arrays.fill(garbagePng, 8, 200, (byte) 0x5A);

        assertReason(() -> decoder.decode(new byte[0]), ImageDecodeException.Reason.EMPTY);
        assertReason(() -> decoder.decode(null), ImageDecodeException.Reason.EMPTY);
        assertReason(() -> decoder.decode("hello, world".getBytes(StandardCharsets.UTF_8)),
                ImageDecodeException.Reason.UNSUPPORTED_FORMAT);
        assertReason(() -> decoder.decode("%PDF-1.7\n".getBytes(StandardCharsets.US_ASCII)),
                ImageDecodeException.Reason.UNSUPPORTED_FORMAT);
        assertReason(() -> decoder.decode(garbagePng), ImageDecodeException.Reason.CORRUPT_IMAGE);
        ImageDecoder pages = new ImageDecoder(10_000_000L);
        assertReason(() -> pages.decode(Arrays.copyOf(page, page.length / 2)),
                ImageDecodeException.Reason.CORRUPT_IMAGE);
        assertReason(() -> pages.decode(Arrays.copyOf(jpeg, jpeg.length * 2 / 3)),
                ImageDecodeException.Reason.CORRUPT_IMAGE);
        assertReason(() -> pages.decode(Arrays.copyOf(jpeg, 4)), ImageDecodeException.Reason.CORRUPT_IMAGE);
    }

    @Test
    void formatsAreSniffedFromMagicBytes() throws Exception {
        BufferedImage image = new BufferedImage(4, 4, BufferedImage.TYPE_3BYTE_BGR);
        assertThat(ImageFormat.sniff(encode(image, "png"))).contains(ImageFormat.PNG);
        assertThat(ImageFormat.sniff(encode(image, "jpeg"))).contains(ImageFormat.JPEG);
        assertThat(ImageFormat.sniff(encode(image, "tiff"))).contains(ImageFormat.TIFF);
        assertThat(ImageFormat.sniff(encode(image, "bmp"))).contains(ImageFormat.BMP);
        assertThat(ImageFormat.sniff(encode(image, "gif"))).contains(ImageFormat.GIF);
        assertThat(ImageFormat.sniff("%PDF-1.4".getBytes(StandardCharsets.US_ASCII))).contains(ImageFormat.PDF);
        assertThat(ImageFormat.sniff(new byte[] {1, 2, 3})).isEmpty();
        assertThat(ImageFormat.sniff(new byte[0])).isEmpty();
    }

    private void assertDecodes(byte[] encoded, byte[] expectedRgb) {
        RgbImage decoded = decoder.decode(encoded);
        assertThat(new int[] {decoded.width(), decoded.height()}).containsExactly(W, H);
        assertThat(decoded.rgb()).isEqualTo(expectedRgb);
    }

    private static void assertReason(org.assertj.core.api.ThrowableAssert.ThrowingCallable call,
            ImageDecodeException.Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ImageDecodeException.class,
                e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
    }

    private static BufferedImage smoothRgb() {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                image.setRGB(x, y, (60 + 4 * x) << 16 | (30 + 6 * y) << 8 | (100 + 2 * x + 2 * y));
            }
        }
        return image;
    }

    private static byte[] rgbOf(BufferedImage image) {
        byte[] rgb = new byte[image.getWidth() * image.getHeight() * 3];
        for (int y = 0, o = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int argb = image.getRGB(x, y);
                rgb[o++] = (byte) (argb >> 16);
                rgb[o++] = (byte) (argb >> 8);
                rgb[o++] = (byte) argb;
            }
        }
        return rgb;
    }

    private static int maxDiff(byte[] a, byte[] b) {
        assertThat(a).hasSameSizeAs(b);
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)));
        }
        return max;
    }

    static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, format, out)) {
            throw new IOException("no " + format + " writer for " + image);
        }
        return out.toByteArray();
    }

    /** A PNG signature and a valid IHDR declaring {@code width x height} RGB, then {@code chunks} and IEND. */
    static byte[] pngHeaderOnly(int width, int height, byte[]... chunks) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        png.writeBytes(chunk("IHDR", ihdr.array()));
        for (byte[] chunk : chunks) {
            png.writeBytes(chunk);
        }
        png.writeBytes(chunk("IEND", new byte[0]));
        return png.toByteArray();
    }

    static byte[] chunk(String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(typeBytes).put(data)
                .putInt((int) crc.getValue()).array();
    }

    private static byte[] resource(String path) throws IOException {
        try (var in = ImageDecoderTest.class.getResourceAsStream(path)) {
            assertThat(in).as(path).isNotNull();
            return in.readAllBytes();
        }
    }
}
