package pagestream.api.cli;

import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.model.checkpoint.SafetensorsFile;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class EmbedCommandTest {

    private static final Path TINY_A = Path.of("src/test/resources/golden/tiny-a");

    @TempDir
    Path dir;

    @Test
    void embedsImagesPdfPagesAndQueriesAndPrintsTheScoreTable() throws IOException {
        Path png = page(dir.resolve("scan.png"));
        Path pdf = twoPagePdf(dir.resolve("doc.pdf"));
        Path output = dir.resolve("embeddings.safetensors");

        CliRun run = CliRun.of(new EmbedCommand(), "--model", TINY_A.toString(), "--device", "cpu",
                "--query", "What is ASN.1?", "--query", "Which MIME type does a PNG image have?",
                png.toString(), pdf.toString(), "--output", output.toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("3 page(s), 24 x 16 vectors each")
                .contains("scan.png", "doc.pdf#1", "doc.pdf#2")
                .contains("What is ASN.1?", "Which MIME type does a PNG image have?")
                .contains("wrote " + output);
        try (SafetensorsFile file = SafetensorsFile.open(output)) {
            assertThat(file.shape("image_embeddings")).containsExactly(3, 24, 16);
            assertThat(file.shape("query_embeddings")[0]).isEqualTo(2);
            assertThat(file.shape("scores")).containsExactly(2, 3);
            assertThat(file.metadata()).containsEntry("pages", "[\"scan.png\",\"doc.pdf#1\",\"doc.pdf#2\"]");
            // The printed table and the stored scores agree with MaxSim over the stored embeddings.
            float[] pages = file.floats("image_embeddings");
            float[] queries = file.floats("query_embeddings");
            float[] expected = MaxSim.scores(queries, 2, pages, 3, 16);
            assertThat(file.floats("scores")).containsExactly(expected, org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(run.out()).contains(String.format(java.util.Locale.ROOT, "%.3f", expected[0]));
        }

        // The same PNG through preprocess + embed-tensors gives the same page embedding.
        Path pixels = dir.resolve("pixels.safetensors");
        assertThat(CliRun.of(new PreprocessCommand(), "--size", "56", "--output", pixels.toString(), png.toString())
                .code()).isZero();
        Path tensors = dir.resolve("tensors.safetensors");
        assertThat(CliRun.of(new EmbedTensorsCommand(), "--model", TINY_A.toString(), "--input", pixels.toString(),
                "--output", tensors.toString()).code()).isZero();
        try (SafetensorsFile a = SafetensorsFile.open(output); SafetensorsFile b = SafetensorsFile.open(tensors)) {
            float[] fromEmbed = java.util.Arrays.copyOf(a.floats("image_embeddings"), 24 * 16);
            assertThat(EmbedTensorsCommandTest.maxAbsDiff(fromEmbed, b.floats("image_embeddings")))
                    .isLessThanOrEqualTo(1e-5f);
        }
    }

    @Test
    void queriesOnlyNeedNoPages() {
        CliRun run = CliRun.of(new EmbedCommand(), "--model", TINY_A.toString(), "--query", "hello");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("1 query(ies) embedded");
    }

    @Test
    void badArgumentsExitWithCode2() {
        CliRun nothing = CliRun.of(new EmbedCommand(), "--model", TINY_A.toString());
        assertThat(nothing.code()).isEqualTo(2);
        assertThat(nothing.err()).contains("nothing to embed");

        CliRun missing = CliRun.of(new EmbedCommand(), "--model", TINY_A.toString(), "lost.pdf");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("input lost.pdf does not exist");

        CliRun device = CliRun.of(new EmbedCommand(), "--model", TINY_A.toString(), "--device", "tpu",
                "--query", "q");
        assertThat(device.code()).isEqualTo(2);
        assertThat(device.err()).contains("--device must be auto, cpu or cuda, got 'tpu'");

        CliRun noModel = CliRun.of(new EmbedCommand(), "--query", "q");
        assertThat(noModel.code()).isEqualTo(2);
        assertThat(noModel.err()).contains("missing option --model");
    }

    @Test
    void missingModelSaysHowToGetOne() {
        CliRun run = CliRun.of(new EmbedCommand(), "--model", dir.resolve("no-model").toString(), "--query", "q");

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("not found").contains("download --model");
    }

    private static Path page(Path file) throws IOException {
        BufferedImage image = new BufferedImage(120, 160, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 120, 160);
        g.setColor(new Color(20, 60, 160));
        g.fillRect(10, 10, 100, 20);
        g.setColor(Color.BLACK);
        g.drawString("PNG page", 15, 80);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
        return file;
    }

    private static Path twoPagePdf(Path file) throws IOException {
        try (PDDocument document = new PDDocument()) {
            for (int i = 0; i < 2; i++) {
                PDPage page = new PDPage(new PDRectangle(200, 260));
                document.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                    content.setNonStrokingColor(i == 0 ? Color.RED : Color.GREEN);
                    content.addRect(20, 20 + 80 * i, 160, 60);
                    content.fill();
                }
            }
            document.save(file.toFile());
        }
        return file;
    }
}
