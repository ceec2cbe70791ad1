package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;

/** PDFs built here with PDFBox: rendering, resolution and every limit. */
class PdfRendererTest {

    private static final Duration GENEROUS = Duration.ofSeconds(60);

    @Test
    void rendersEveryPageAt150DpiWithVisibleText() throws Exception {
        byte[] pdf = textPdf(3, PDRectangle.LETTER, null);

        List<RgbImage> pages = new PdfRenderer(PdfRenderer.DEFAULT_DPI, 10, 10_000_000L, GENEROUS).render(pdf);

        assertThat(pages).hasSize(3);
        for (RgbImage page : pages) {
            // 8.5 x 11 in at 150 dpi
            assertThat(new int[] {page.width(), page.height()}).containsExactly(1275, 1650);
            double dark = darkFraction(page);
            assertThat(dark).as("text pixels").isGreaterThan(0.001).isLessThan(0.2);
        }
        assertThat(pages.get(0).rgb()).as("pages differ").isNotEqualTo(pages.get(1).rgb());
    }

    @Test
    void pagesStreamToASinkOneByOne() throws Exception {
        byte[] pdf = textPdf(2, PDRectangle.A4, null);
        int[] seen = new int[2];

        int count = new PdfRenderer(72f, 10, 10_000_000L, GENEROUS).render(pdf, (index, total, page) -> {
            assertThat(total).isEqualTo(2);
            assertThat(page.width()).isEqualTo(596); // A4 is 595.28 pt wide: one pixel per point, rounded up
            seen[index]++;
        });

        assertThat(count).isEqualTo(2);
        assertThat(seen).containsExactly(1, 1);
    }

    @Test
    void tooManyPagesIsRefusedBeforeRendering() throws Exception {
        byte[] pdf = textPdf(3, PDRectangle.LETTER, null);
        PdfRenderer renderer = new PdfRenderer(150f, 2, 10_000_000L, GENEROUS);

        assertReason(() -> renderer.render(pdf, (i, n, page) -> {
            throw new AssertionError("rendered a page of a refused document");
        }), ImageDecodeException.Reason.TOO_MANY_PAGES);
    }

    @Test
    void oversizedPageIsRenderedWithinThePixelBudget() throws Exception {
        byte[] pdf = textPdf(1, new PDRectangle(72 * 100, 72 * 50), null); // 100 x 50 inch poster
        long budget = 2_000_000L;

        RgbImage page = new PdfRenderer(150f, 10, budget, GENEROUS).render(pdf).get(0);

        assertThat((long) page.width() * page.height()).isLessThanOrEqualTo(budget);
        assertThat(page.width()).isGreaterThan(1900); // sqrt(2e6 * 2): the largest 2:1 page that fits
        assertThat(page.height()).isGreaterThan(948);
    }

    @Test
    void passwordProtectedPdfIsRefused() throws Exception {
        byte[] pdf = textPdf(1, PDRectangle.LETTER, "secret");
        assertReason(() -> new PdfRenderer(150f, 10, 10_000_000L, GENEROUS).render(pdf),
                ImageDecodeException.Reason.ENCRYPTED_PDF);
    }

    @Test
    void corruptTruncatedAndEmptyPdfsGetReasons() throws Exception {
        PdfRenderer renderer = new PdfRenderer(150f, 10, 10_000_000L, GENEROUS);
        byte[] pdf = textPdf(1, PDRectangle.LETTER, null);

        assertReason(() -> renderer.render("%PDF-1.7\nthis is not a PDF body".getBytes(StandardCharsets.US_ASCII)),
                ImageDecodeException.Reason.CORRUPT_PDF);
        assertReason(() -> renderer.render(java.util.Arrays.copyOf(pdf, 40)),
                ImageDecodeException.Reason.CORRUPT_PDF);
        assertReason(() -> renderer.render(new byte[0]), ImageDecodeException.Reason.EMPTY);
    }

    @Test
    void renderTimeIsBoundedInsideAPage() throws Exception {
        byte[] pdf;
        try (PDDocument document = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            PDPage page = new PDPage(PDRectangle.LETTER);
            document.addPage(page);
            try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                for (int i = 0; i < 400_000; i++) { // far more drawing than fits in the budget
                    content.moveTo(i % 600, i % 700);
                    content.lineTo((i * 7) % 600, (i * 3) % 700);
                    content.stroke();
                }
            }
            document.save(out);
            pdf = out.toByteArray();
        }
        Duration budget = Duration.ofMillis(500);
        long start = System.nanoTime();

        assertReason(() -> new PdfRenderer(150f, 10, 10_000_000L, budget).render(pdf),
                ImageDecodeException.Reason.RENDER_TIMEOUT);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(budget.plusSeconds(2));
    }

    private static double darkFraction(RgbImage page) {
        byte[] rgb = page.rgb();
        long dark = 0;
        for (int i = 0; i < rgb.length; i += 3) {
            dark += (rgb[i] & 0xFF) < 128 ? 1 : 0;
        }
        return (double) dark / (rgb.length / 3);
    }

    private static void assertReason(org.assertj.core.api.ThrowableAssert.ThrowingCallable call,
            ImageDecodeException.Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ImageDecodeException.class,
                e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
    }

    /** A PDF of {@code pages} pages with a few lines of Helvetica each, optionally with a user password. */
    static byte[] textPdf(int pages, PDRectangle size, String userPassword) throws IOException {
        try (PDDocument document = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            PDType1Font font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
            for (int p = 0; p < pages; p++) {
                PDPage page = new PDPage(size);
                document.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                    content.beginText();
                    content.setFont(font, 24);
                    content.newLineAtOffset(72, size.getHeight() - 96);
                    content.showText("PageStream test page " + (p + 1));
                    for (int line = 0; line < 20; line++) {
                        content.newLineAtOffset(0, -28);
                        content.showText("Line " + line + ": the quick brown fox jumps over the lazy dog " + p);
                    }
                    content.endText();
                }
            }
            if (userPassword != null) {
                StandardProtectionPolicy policy =
                        new StandardProtectionPolicy("owner-" + userPassword, userPassword, new AccessPermission());
                policy.setEncryptionKeyLength(128);
                document.protect(policy);
            }
            document.save(out);
            return out.toByteArray();
        }
    }
}
