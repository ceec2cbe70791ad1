package pagestream.api.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.model.checkpoint.SafetensorsFile;
import pagestream.model.processor.ImageDecoder;
import pagestream.model.processor.RgbImage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class PreprocessCommandTest {

    private static final Path PAGES = Path.of("src/test/resources/golden/preprocess");
    private static final String[] FILES = {"page1_libtasn1_p3.png", "page2_shared-mime-info_p1.png",
            "page3_libtasn1_p5.jpg", "page4_rgba_crop.png"};

    @TempDir
    Path dir;

    @Test
    void goldenPagesMatchTheReferencePixelValues() throws IOException {
        Path output = dir.resolve("pixels.safetensors");
        String[] args = new String[3 + FILES.length];
        args[0] = "--output";
        args[1] = output.toString();
        args[2] = "--size=448";
        for (int i = 0; i < FILES.length; i++) {
            args[3 + i] = PAGES.resolve(FILES[i]).toString();
        }

        CliRun run = CliRun.of(new PreprocessCommand(), args);

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("wrote pixel_values [4, 3, 448, 448]");
        try (SafetensorsFile file = SafetensorsFile.open(output)) {
            assertThat(file.shape("pixel_values")).containsExactly(4, 3, 448, 448);
        }
        float[] pixels = SafetensorsFile.readFloats(output, "pixel_values");
        int plane = 448 * 448;
        ImageDecoder decoder = new ImageDecoder(100_000_000L);
        for (int n = 0; n < FILES.length; n++) {
            RgbImage expected = decoder.decode(Files.readAllBytes(
                    PAGES.resolve("expected448_" + FILES[n].replace(".jpg", ".png"))));
            int exact = 0;
            float maxDiff = 0;
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < plane; p++) {
                    // The reference's float from its uint8 grid, as the fixture README defines it.
                    float reference = ((float) ((expected.rgb()[p * 3 + c] & 0xFF) * 0.00392156862745098) - 0.5f) / 0.5f;
                    float diff = Math.abs(pixels[n * 3 * plane + c * plane + p] - reference);
                    exact += diff == 0 ? 1 : 0;
                    maxDiff = Math.max(maxDiff, diff);
                }
            }
            boolean jpeg = FILES[n].endsWith(".jpg");
            // PNG pages are bit-exact; JPEG decoders may differ by a few levels (the processor's own bounds).
            assertThat((double) exact / (3 * plane)).as(FILES[n]).isGreaterThanOrEqualTo(jpeg ? 0.99 : 1.0);
            assertThat(maxDiff).as(FILES[n]).isLessThanOrEqualTo(jpeg ? 4 * 2f / 255 + 1e-6f : 0f);
        }
    }

    @Test
    void badArgumentsAndMissingFilesExitWithCode2() {
        Path output = dir.resolve("out.safetensors");

        CliRun noImages = CliRun.of(new PreprocessCommand(), "--output", output.toString());
        assertThat(noImages.code()).isEqualTo(2);
        assertThat(noImages.err()).contains("no images given");

        CliRun missing = CliRun.of(new PreprocessCommand(), "--output", output.toString(), "missing-page.png");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("image missing-page.png does not exist");

        CliRun size = CliRun.of(new PreprocessCommand(), "--size", "0", "--output", output.toString(),
                PAGES.resolve(FILES[0]).toString());
        assertThat(size.code()).isEqualTo(2);
        assertThat(size.err()).contains("--size must be between 1 and 4096, got 0");

        CliRun noDir = CliRun.of(new PreprocessCommand(), "--output", dir.resolve("no/such/dir/out.safetensors")
                .toString(), PAGES.resolve(FILES[0]).toString());
        assertThat(noDir.code()).isEqualTo(2);
        assertThat(noDir.err()).contains("output directory").contains("does not exist");
        assertThat(output).doesNotExist();
    }

    @Test
    void undecodableImageNamesTheFile() throws IOException {
        Path notAnImage = Files.writeString(dir.resolve("notes.png"), "hello");

        CliRun run = CliRun.of(new PreprocessCommand(), "--output", dir.resolve("o.safetensors").toString(),
                notAnImage.toString());

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("cannot read image " + notAnImage);
    }
}
