package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our JPEG decode equals Pillow's {@code Image.open(f).convert("RGB")} byte for byte. The fixtures and the
 * expected RGB (lossless PNG) were written by Pillow 9.4 on libjpeg-turbo 2.1.5, the reference's JPEG library;
 * Pillow 11.3 on libjpeg-turbo 3.1.1 gives the same bytes for every one (see src/test/resources/processor/jpeg).
 */
class JpegParityTest {

    private final ImageDecoder decoder = new ImageDecoder(1_000_000L);

    @ParameterizedTest
    @ValueSource(strings = {
        "rgb_420", "rgb_422", "rgb_444", // chroma subsampling (libjpeg's fancy upsampling)
        "rgb_440", // 4:4:0 (a lossless 90-degree rotation of 4:2:2): libjpeg-turbo's vertical interpolation redone
        "rgb_progressive", "rgb_restart", // progressive scans; a restart marker every MCU row
        "rgb_adobe_rgb_stored", "rgb_no_jfif", // colour space from the Adobe transform / the component ids
        "rgb_exif_rotated", // EXIF orientation 6: Pillow's open + convert do not rotate, neither do we
        "rgb_icc_a98", // Adobe RGB ICC profile: Pillow ignores it (TwelveMonkeys' read() would apply it)
        "grey", "grey_progressive",
        "cmyk_adobe", "cmyk_adobe_icc", // Adobe-inverted CMYK, Pillow's cmyk2rgb, ICC profile ignored
        "ycck_adobe", "ycck_progressive" // Adobe transform 2: libjpeg's YCCK -> CMYK, then as CMYK
    })
    void decodesExactlyAsPillow(String name) throws IOException {
        RgbImage expected = decoder.decode(resource(name + ".rgb.png"));

        RgbImage actual = decoder.decode(resource(name + ".jpg"));

        assertThat(new int[] {actual.width(), actual.height()}).containsExactly(61, 45);
        assertThat(actual.rgb()).as(name).isEqualTo(expected.rgb());
    }

    @Test
    void bytesBetweenSegmentsAreSkippedAsLibjpegSkipsThem() throws IOException {
        // libjpeg warns "extraneous bytes before marker" and goes on; Pillow 9.4 gives rgb_420's pixels for this file
        byte[] jpeg = resource("rgb_420.jpg");
        int afterApp0 = 4 + ((jpeg[4] & 0xFF) << 8 | jpeg[5] & 0xFF);
        byte[] padded = new byte[jpeg.length + 3];
        System.arraycopy(jpeg, 0, padded, 0, afterApp0);
        padded[afterApp0] = 0x12;
        padded[afterApp0 + 1] = 0x34;
        padded[afterApp0 + 2] = 0x56;
        System.arraycopy(jpeg, afterApp0, padded, afterApp0 + 3, jpeg.length - afterApp0);

        assertThat(JpegMarkers.read(padded).jfif()).isTrue();
        assertThat(decoder.decode(padded).rgb()).isEqualTo(decoder.decode(resource("rgb_420.rgb.png")).rgb());
    }

    @Test
    void colourSpaceFollowsLibjpegsMarkerRules() throws IOException {
        assertThat(space("rgb_420")).isEqualTo(JpegColour.Space.YCBCR);
        assertThat(space("rgb_no_jfif")).isEqualTo(JpegColour.Space.YCBCR);
        assertThat(space("rgb_adobe_rgb_stored")).isEqualTo(JpegColour.Space.RGB);
        assertThat(space("grey")).isEqualTo(JpegColour.Space.GREY);
        assertThat(space("cmyk_adobe")).isEqualTo(JpegColour.Space.CMYK);
        assertThat(space("ycck_adobe")).isEqualTo(JpegColour.Space.YCCK);
    }

    private static JpegColour.Space space(String name) throws IOException {
        return JpegColour.Space.of(JpegMarkers.read(resource(name + ".jpg")));
    }

    private static byte[] resource(String file) throws IOException {
        try (var in = JpegParityTest.class.getResourceAsStream("/processor/jpeg/" + file)) {
            assertThat(in).as(file).isNotNull();
            return in.readAllBytes();
        }
    }
}
