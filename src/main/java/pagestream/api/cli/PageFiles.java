package pagestream.api.cli;

import pagestream.model.processor.ImageDecodeException;
import pagestream.model.processor.ImageDecoder;
import pagestream.model.processor.PdfRenderer;
import pagestream.model.processor.RgbImage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Image and PDF files to pages: an image is one page, a PDF one page per sheet (rendered at 150 dpi). Each page
 * is shrunk to the model's input size as soon as it is decoded, so a long PDF never sits in memory at full size.
 */
final class PageFiles {

    /** One page and where it came from ({@code scan.png}, {@code report.pdf#3}). */
    record Page(String label, RgbImage image) {
    }

    private static final int MAX_PDF_PAGES = 10_000;
    private static final Duration MAX_RENDER_TIME = Duration.ofMinutes(10);

    private PageFiles() {
    }

    /** The pages of {@code files} (images and PDFs), each at {@code size x size}. */
    static List<Page> read(List<Path> files, int size) throws IOException {
        ImageDecoder decoder = new ImageDecoder(PreprocessCommand.MAX_IMAGE_PIXELS);
        PdfRenderer renderer = new PdfRenderer(PdfRenderer.DEFAULT_DPI, MAX_PDF_PAGES,
                PreprocessCommand.MAX_IMAGE_PIXELS, MAX_RENDER_TIME);
        List<Page> pages = new ArrayList<>();
        for (Path file : files) {
            byte[] bytes = Files.readAllBytes(file);
            String name = file.getFileName().toString();
            try {
                if (isPdf(bytes)) {
                    renderer.render(bytes, size, size, (index, count, page) ->
                            pages.add(new Page(name + "#" + (index + 1), page)));
                } else {
                    pages.add(new Page(name, decoder.decodeResized(bytes, size, size)));
                }
            } catch (ImageDecodeException e) {
                throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return pages;
    }

    private static boolean isPdf(byte[] bytes) {
        return bytes.length >= 5 && bytes[0] == '%' && bytes[1] == 'P' && bytes[2] == 'D' && bytes[3] == 'F'
                && bytes[4] == '-';
    }
}
