package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.common.PDStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
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
    void resizedPagesEqualTheFullRendersResizedWhateverTheCanvasHeldBefore() throws Exception {
        // pages of one size share a canvas: each must be cleared of the page before (they differ in their text)
        byte[] pdf = textPdf(List.of(PDRectangle.LETTER, PDRectangle.LETTER, PDRectangle.A4, PDRectangle.A6,
                PDRectangle.LETTER));
        PdfRenderer renderer = new PdfRenderer(100f, 10, 10_000_000L, GENEROUS);
        List<RgbImage> full = renderer.render(pdf);
        List<RgbImage> resized = new java.util.ArrayList<>();

        int count = renderer.render(pdf, 96, 80, (index, total, page) -> resized.add(page));

        assertThat(count).isEqualTo(5);
        for (int i = 0; i < full.size(); i++) {
            assertThat(resized.get(i).rgb()).as("page %d", i + 1)
                    .isEqualTo(BicubicResizer.resize(full.get(i), 96, 80).rgb());
        }
        assertThat(resized.get(0).rgb()).isNotEqualTo(resized.get(1).rgb());
    }

    @Test
    void aPageDrawnOnTheCanvasOfTheOneBeforeShowsNothingOfIt() throws Exception {
        byte[] pdf = savedPdf(document -> {
            PDPage black = new PDPage(PDRectangle.A6);
            document.addPage(black);
            try (PDPageContentStream content = new PDPageContentStream(document, black)) {
                content.addRect(0, 0, PDRectangle.A6.getWidth(), PDRectangle.A6.getHeight());
                content.fill(); // black all over
            }
            document.addPage(new PDPage(PDRectangle.A6)); // blank, same size: drawn on the same canvas
        });
        PdfRenderer renderer = new PdfRenderer(72f, 10, 10_000_000L, GENEROUS);

        List<RgbImage> full = renderer.render(pdf);
        List<RgbImage> resized = new java.util.ArrayList<>();
        renderer.render(pdf, 50, 70, (index, total, page) -> resized.add(page));

        assertThat(darkFraction(full.get(0))).isGreaterThan(0.99); // the edge pixels are partly covered
        for (RgbImage blank : List.of(full.get(1), resized.get(1))) {
            byte[] white = new byte[blank.rgb().length];
            java.util.Arrays.fill(white, (byte) 255);
            assertThat(blank.rgb()).isEqualTo(white);
        }
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
        byte[] pdf = savedPdf(document -> {
            PDPage page = new PDPage(PDRectangle.LETTER);
            document.addPage(page);
            try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                for (int i = 0; i < 400_000; i++) { // far more drawing than fits in the budget
                    content.moveTo(i % 600, i % 700);
                    content.lineTo((i * 7) % 600, (i * 3) % 700);
                    content.stroke();
                }
            }
        });
        Duration budget = Duration.ofMillis(500);
        long start = System.nanoTime();

        assertReason(() -> new PdfRenderer(150f, 10, 10_000_000L, budget).render(pdf),
                ImageDecodeException.Reason.RENDER_TIMEOUT);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(budget.plusSeconds(2));
    }

    @Test
    void embeddedImageDeclaringTooManyPixelsIsRefusedBeforePdfBoxAllocatesIt() throws Exception {
        // fuzzing found it: PDFBox allocates the declared raster of an image XObject, so 100 bytes declaring
        // 20000 x 20000 were an OutOfMemoryError in the stream thread
        byte[] pdf = pdfWithImage(20_000, 20_000);
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();

        assertThatThrownBy(() -> new PdfRenderer(150f, 10, 10_000_000L, 89_478_485L, GENEROUS).render(pdf))
                .isInstanceOfSatisfying(ImageDecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS))
                .hasMessageContaining("embedded image of 20000x20000");

        assertThat(threads.getCurrentThreadAllocatedBytes() - allocatedBefore).isLessThan(256L << 20);
    }

    @Test
    void deflateBombInAContentStreamIsRefusedInBoundedTime() throws Exception {
        // fuzzing found it: 200 KB of deflate inflating to 200 MB of blanks kept the renderer's tokenizer busy between
        // two operators, where the deadline is never checked (a 50 MB one: ~12 minutes or an OutOfMemoryError)
        byte[] pdf = pdfWithContent(deflatedBlanks(200));
        long start = System.nanoTime();

        assertReason(() -> new PdfRenderer(150f, 10, 10_000_000L, GENEROUS).render(pdf),
                ImageDecodeException.Reason.CORRUPT_PDF);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void ordinaryContentStreamsPassTheStreamCheck() throws Exception {
        byte[] pdf = pdfWithContent(deflate("0 0 1 rg 10 10 50 50 re f\n".getBytes(StandardCharsets.US_ASCII)));

        RgbImage page = new PdfRenderer(72f, 10, 10_000_000L, GENEROUS).render(pdf).get(0);

        assertThat(page.rgb()[((page.height() - 30) * page.width() + 30) * 3 + 2] & 0xFF).as("blue square drawn")
                .isGreaterThan(200);
    }

    /** A one-page 1 x 1 inch PDF drawing an RGB image XObject that declares {@code width x height}. */
    private static byte[] pdfWithImage(int width, int height) throws IOException {
        return savedPdf(document -> {
            PDPage page = new PDPage(new PDRectangle(72, 72));
            document.addPage(page);
            COSStream stream = document.getDocument().createCOSStream();
            try (var raw = stream.createRawOutputStream()) {
                raw.write(deflate(new byte[100]));
            }
            stream.setItem(COSName.FILTER, COSName.FLATE_DECODE);
            stream.setItem(COSName.TYPE, COSName.XOBJECT);
            stream.setItem(COSName.SUBTYPE, COSName.IMAGE);
            stream.setInt(COSName.WIDTH, width);
            stream.setInt(COSName.HEIGHT, height);
            stream.setInt(COSName.BITS_PER_COMPONENT, 8);
            stream.setItem(COSName.COLORSPACE, COSName.DEVICERGB);
            PDImageXObject image = new PDImageXObject(new PDStream(stream), null);
            try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                content.drawImage(image, 0, 0, 72, 72);
            }
        });
    }

    /** A one-page 1 x 1 inch PDF whose content stream is {@code deflated} (FlateDecode). */
    private static byte[] pdfWithContent(byte[] deflated) throws IOException {
        return savedPdf(document -> {
            PDPage page = new PDPage(new PDRectangle(72, 72));
            document.addPage(page);
            COSStream content = document.getDocument().createCOSStream();
            try (var raw = content.createRawOutputStream()) {
                raw.write(deflated);
            }
            content.setItem(COSName.FILTER, COSName.FLATE_DECODE);
            page.getCOSObject().setItem(COSName.CONTENTS, content);
        });
    }

    private static byte[] deflatedBlanks(int megabytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var deflater = new java.util.zip.DeflaterOutputStream(out, new java.util.zip.Deflater(9))) {
            byte[] blanks = new byte[1 << 20];
            java.util.Arrays.fill(blanks, (byte) ' ');
            for (int i = 0; i < megabytes; i++) {
                deflater.write(blanks);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var deflater = new java.util.zip.DeflaterOutputStream(out)) {
            deflater.write(bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
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
        return textPdf(java.util.Collections.nCopies(pages, size), userPassword);
    }

    private static byte[] textPdf(List<PDRectangle> sizes) throws IOException {
        return textPdf(sizes, null);
    }

    private static byte[] textPdf(List<PDRectangle> sizes, String userPassword) throws IOException {
        return savedPdf(document -> {
            PDType1Font font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
            for (int p = 0; p < sizes.size(); p++) {
                PDRectangle size = sizes.get(p);
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
        });
    }

    /** What a test PDF holds, added to a new document. */
    private interface DocumentContent {
        void addTo(PDDocument document) throws IOException;
    }

    /** A new document holding {@code content}, saved. */
    private static byte[] savedPdf(DocumentContent content) throws IOException {
        try (PDDocument document = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            content.addTo(document);
            document.save(out);
            return out.toByteArray();
        }
    }
}
