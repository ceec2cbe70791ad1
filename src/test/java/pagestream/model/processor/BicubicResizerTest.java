package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Noise (no uniform spans to shortcut) resized to odd sizes, against Pillow's own output bytes. */
class BicubicResizerTest {

    private static final ImageDecoder DECODER = new ImageDecoder(1_000_000L);

    @ParameterizedTest
    @CsvSource({"17, 29", "100, 90", "53, 20", "7, 41"})
    void noiseResizeIsBitExactWithPillow(int width, int height) throws Exception {
        RgbImage source = DECODER.decode(resource("noise_53x41.png"));
        RgbImage expected = DECODER.decode(resource("noise_53x41_bicubic_" + width + "x" + height + ".png"));

        RgbImage resized = BicubicResizer.resize(source, width, height);

        assertThat(new int[] {resized.width(), resized.height()}).containsExactly(width, height);
        assertThat(resized.rgb()).isEqualTo(expected.rgb());
    }

    @Test
    void matchesTheScalarOracleOnRandomImagesAndSizes() {
        Random random = new Random(20261127);
        for (int n = 0; n < 200; n++) {
            int inWidth = 1 + random.nextInt(n < 40 ? 8 : 140);
            int inHeight = 1 + random.nextInt(n < 40 ? 8 : 140);
            RgbImage source = randomPage(random, inWidth, inHeight);
            int width = 1 + random.nextInt(160);
            int height = 1 + random.nextInt(160);

            byte[] expected = ScalarBicubicResizer.resize(source, width, height).rgb();

            assertThat(BicubicResizer.resize(source, width, height).rgb())
                    .as("%dx%d -> %dx%d", inWidth, inHeight, width, height).isEqualTo(expected);
        }
    }

    @Test
    void matchesTheScalarOracleOnAPageSizedImage() {
        RgbImage page = randomPage(new Random(7), 1275, 1650);

        assertThat(BicubicResizer.resize(page, 448, 448).rgb())
                .isEqualTo(ScalarBicubicResizer.resize(page, 448, 448).rgb());
    }

    /**
     * Mostly background with runs, blank rows of changing colours, blocks, extreme values and noise, so that both
     * the shortcuts and the full tap sums (including clipping of over- and undershoot) are exercised.
     */
    private static RgbImage randomPage(Random random, int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        byte[] background = {(byte) 255, (byte) 255, (byte) 255};
        for (int y = 0; y < height; y++) {
            int kind = random.nextInt(5);
            byte blank = random.nextBoolean() ? 0 : (byte) 128;
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    int i = (y * width + x) * 3 + c;
                    rgb[i] = switch (kind) {
                        case 0 -> background[c];
                        case 1 -> (byte) random.nextInt(256);
                        case 2 -> (x / 7) % 2 == 0 ? 0 : (byte) 255;
                        case 3 -> blank;
                        default -> random.nextInt(10) == 0 ? (byte) random.nextInt(256) : background[c];
                    };
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }

    @Test
    void sameSizeIsTheImageItselfAndBadSizesAreRefused() throws Exception {
        RgbImage source = DECODER.decode(resource("noise_53x41.png"));

        assertThat(BicubicResizer.resize(source, 53, 41)).isSameAs(source);
        // one axis kept: that pass is skipped, as Pillow skips it
        assertThat(BicubicResizer.resize(source, 53, 20).rgb())
                .isEqualTo(ScalarBicubicResizer.resize(source, 53, 20).rgb());
        assertThat(BicubicResizer.resize(source, 17, 41).rgb())
                .isEqualTo(ScalarBicubicResizer.resize(source, 17, 41).rgb());
        assertThatThrownBy(() -> BicubicResizer.resize(source, 0, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] resource(String file) throws IOException {
        try (InputStream in = BicubicResizerTest.class.getResourceAsStream("/processor/" + file)) {
            assertThat(in).as(file).isNotNull();
            return in.readAllBytes();
        }
    }
}
