package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A GIF whose first frame does not cover the logical screen decodes to Pillow's image: the screen (enlarged when
 * the frame reaches past it), the frame at its offset, the rest palette index 0 or the transparent index. Fixtures
 * and expected RGB by Pillow (src/test/resources/processor/gif).
 */
class GifFirstFrameTest {

    private final ImageDecoder decoder = new ImageDecoder(1_000_000L);

    @ParameterizedTest(name = "{0} -> {1}x{2}")
    @CsvSource({"offset_frame.gif, 40, 30", "offset_frame_transparent.gif, 40, 30", "frame_past_screen.gif, 27, 20"})
    void frameIsPlacedOnTheScreenAsPillowDoes(String name, int width, int height) throws IOException {
        RgbImage expected = decoder.decode(resource(name + ".rgb.png"));

        RgbImage actual = decoder.decode(resource(name));

        assertThat(new int[] {actual.width(), actual.height()}).containsExactly(width, height);
        assertThat(actual.rgb()).isEqualTo(expected.rgb());
    }

    @Test
    void aScreenOverThePixelLimitIsRefusedEvenWithASmallFrame() throws IOException {
        byte[] gif = resource("offset_frame.gif");
        gif[6] = (byte) 0xFF; // screen 65535 x 30
        gif[7] = (byte) 0xFF;

        assertThatThrownBy(() -> decoder.decode(gif))
                .isInstanceOfSatisfying(ImageDecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS))
                .hasMessageContaining("65535x30");
    }

    private static byte[] resource(String file) throws IOException {
        try (var in = GifFirstFrameTest.class.getResourceAsStream("/processor/gif/" + file)) {
            assertThat(in).as(file).isNotNull();
            return in.readAllBytes();
        }
    }
}
