package pagestream.api;

import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Page events used by the end-to-end tests: real scanned-document images from the fixtures and a made PDF. */
final class TestPages {

    static final Path PREPROCESS = Path.of("src/test/resources/golden/preprocess");

    private TestPages() {
    }

    static byte[] png() {
        return read("page1_libtasn1_p3.png");
    }

    static byte[] otherPng() {
        return read("page2_shared-mime-info_p1.png");
    }

    static byte[] jpeg() {
        return read("page3_libtasn1_p5.jpg");
    }

    /** A two-page PDF with different text and layout on each page. */
    static byte[] pdf() {
        try (PDDocument doc = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            String[][] pages = {
                    {"Quarterly revenue report", "Revenue grew 12% in the third quarter."},
                    {"Network diagram", "Routers, switches and the firewall between them."}};
            for (int i = 0; i < pages.length; i++) {
                PDPage page = new PDPage(PDRectangle.A6);
                doc.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                    content.addRect(20 + 30 * i, 40, 120, 60 + 40 * i);
                    content.fill();
                    content.beginText();
                    content.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD), 14);
                    content.newLineAtOffset(20, 380);
                    content.showText(pages[i][0]);
                    content.newLineAtOffset(0, -24);
                    content.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 9);
                    content.showText(pages[i][1]);
                    content.endText();
                }
            }
            doc.save(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(String name) {
        try {
            return Files.readAllBytes(PREPROCESS.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
