package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;

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
    void sameSizeIsACopyAndBadSizesAreRefused() throws Exception {
        RgbImage source = DECODER.decode(resource("noise_53x41.png"));

        RgbImage same = BicubicResizer.resize(source, 53, 41);

        assertThat(same.rgb()).isEqualTo(source.rgb()).isNotSameAs(source.rgb());
        assertThatThrownBy(() -> BicubicResizer.resize(source, 0, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] resource(String file) throws IOException {
        try (InputStream in = BicubicResizerTest.class.getResourceAsStream("/processor/" + file)) {
            assertThat(in).as(file).isNotNull();
            return in.readAllBytes();
        }
    }
}
