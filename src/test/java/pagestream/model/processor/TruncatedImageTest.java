package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Arrays;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Every prefix of a GIF, BMP and TIFF file gets Pillow's outcome: Pillow (without {@code LOAD_TRUNCATED_IMAGES},
 * which transformers does not set) refuses a file whose image data is incomplete and decodes one whose pixels are
 * all there even when bytes after them are missing (a GIF's block terminator and trailer, a BMP's last row
 * padding). The shortest prefix Pillow decodes was measured for every length by the generator script
 * (src/test/resources/processor/truncation/truncation.json); the expected RGB is Pillow's.
 */
class TruncatedImageTest {

    private final ImageDecoder decoder = new ImageDecoder(1_000_000L);

    @ParameterizedTest(name = "{0}: Pillow decodes prefixes of {1}+ of {3} bytes, we decode {2}+")
    @CsvSource({
        "interlaced.gif, 503, 503, 505", "non_interlaced.gif, 506, 506, 508", // no terminator, no trailer: complete
        "rgb24.bmp, 1275, 1275, 1278", "palette8.bmp, 1485, 1485, 1486", // the last row's padding may be missing
        // Known difference: the JDK reader needs the RLE data's declared length, so an RLE BMP missing its final
        // end-of-line / end-of-bitmap codes (Pillow stops at the last pixel) is refused. Refused, never padded.
        "rle8.bmp, 1444, 1450, 1450",
        "raw.tif, 1313, 1313, 1313", "lzw.tif, 1540, 1540, 1540", "packbits.tif, 1330, 1330, 1330",
        "deflate.tif, 1150, 1150, 1150"
    })
    void everyPrefixGetsPillowsOutcome(String name, int pillowDecodesFrom, int weDecodeFrom, int length)
            throws IOException {
        byte[] file = resource(name);
        byte[] expected = decoder.decode(resource(name + ".rgb.png")).rgb();
        assertThat(file).hasSize(length);
        assertThat(weDecodeFrom).isGreaterThanOrEqualTo(pillowDecodesFrom);

        for (int cut = 1; cut <= length; cut++) {
            byte[] prefix = Arrays.copyOf(file, cut);
            if (cut < weDecodeFrom) {
                assertThatThrownBy(() -> decoder.decode(prefix)).as("%s cut to %d bytes", name, cut)
                        .isInstanceOf(ImageDecodeException.class);
            } else {
                assertThat(decoder.decode(prefix).rgb()).as("%s cut to %d bytes", name, cut).isEqualTo(expected);
            }
        }
    }

    @Test
    void gifWhoseImageDataEndsBeforeItsLastRowIsTruncatedNotPadded() throws IOException {
        // A well-formed block chain (terminator, trailer) holding only the first 255 bytes of the LZW data: the JDK
        // reader leaves the rows it does not reach black, Pillow raises "image file is truncated".
        byte[] gif = resource("short_image_data.gif");

        assertThatThrownBy(() -> decoder.decode(gif))
                .isInstanceOfSatisfying(ImageDecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.CORRUPT_IMAGE))
                .hasMessageMatching(".*GIF data is truncated \\(474 bytes\\): its image data ends after \\d+ of 17 rows");
    }

    private static byte[] resource(String file) throws IOException {
        try (var in = TruncatedImageTest.class.getResourceAsStream("/processor/truncation/" + file)) {
            assertThat(in).as(file).isNotNull();
            return in.readAllBytes();
        }
    }
}
