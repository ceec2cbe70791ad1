package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The reference pipeline on the four golden pages: decoded pixels against Pillow's hashes, then the 448x448
 * bicubic resize against the uint8 grid recovered from the reference {@code pixel_values}.
 */
class GoldenPreprocessTest {

    private static final ImageDecoder DECODER = new ImageDecoder(100_000_000L);

    @ParameterizedTest
    @CsvSource({
            "page1_libtasn1_p3.png, d07f57b0caed2d43f1f5680e610045f9be3fe887b1a94a4d272fdf09d557a89b",
            "page2_shared-mime-info_p1.png, 3755259bde00acb9781e05c748fe5d3db2e79f313fb10a610bd2b85d6669a15e",
            "page4_rgba_crop.png, ba71b5f74780dbe83d44ab6645faceaefd2609d19874ae28839c76037b1adeb1",
            // The JDK's libjpeg (islow IDCT, fancy upsampling) agrees with Pillow's libjpeg-turbo on this file.
            "page3_libtasn1_p5.jpg, fa86b2912272e133d8088d97b0fa8ad80cad9c36fe8b5aefacb83b7b89d70165",
    })
    void decodesToPillowsPixels(String file, String sha256) throws Exception {
        RgbImage image = DECODER.decode(resource(file));
        assertThat(HexFormat.of().formatHex(sha256(image.rgb()))).isEqualTo(sha256);
    }

    @ParameterizedTest
    @CsvSource({
            // Measured: all four are bit-exact; the bounds are the contract (JPEG decoders may differ slightly).
            "page1_libtasn1_p3.png, 1.0, 0",
            "page2_shared-mime-info_p1.png, 1.0, 0",
            "page4_rgba_crop.png, 1.0, 0",
            "page3_libtasn1_p5.jpg, 0.99, 4",
    })
    void bicubicResizeMatchesPillow(String file, double minExactFraction, int maxLevelDiff) throws Exception {
        RgbImage resized = BicubicResizer.resize(DECODER.decode(resource(file)), 448, 448);
        RgbImage expected = DECODER.decode(resource("expected448_" + file.replace(".jpg", ".png")));

        GridDiff diff = GridDiff.of(expected.rgb(), resized.rgb());
        System.out.printf("%s: exact %.6f, max diff %d%n", file, diff.exactFraction(), diff.maxDiff());
        assertThat(diff.exactFraction()).isGreaterThanOrEqualTo(minExactFraction);
        assertThat(diff.maxDiff()).isLessThanOrEqualTo(maxLevelDiff);
    }

    record GridDiff(double exactFraction, int maxDiff) {
        static GridDiff of(byte[] expected, byte[] actual) {
            assertThat(actual).hasSameSizeAs(expected);
            int exact = 0;
            int max = 0;
            for (int i = 0; i < expected.length; i++) {
                int d = Math.abs((expected[i] & 0xFF) - (actual[i] & 0xFF));
                exact += d == 0 ? 1 : 0;
                max = Math.max(max, d);
            }
            return new GridDiff((double) exact / expected.length, max);
        }
    }

    static byte[] resource(String file) throws IOException {
        try (InputStream in = GoldenPreprocessTest.class.getResourceAsStream("/golden/preprocess/" + file)) {
            assertThat(in).as(file).isNotNull();
            return in.readAllBytes();
        }
    }

    static byte[] sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }
}
