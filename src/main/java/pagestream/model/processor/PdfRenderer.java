package pagestream.model.processor;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.pdmodel.graphics.image.PDImage;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.apache.pdfbox.rendering.PDFRenderer;
import org.apache.pdfbox.rendering.PageDrawer;
import org.apache.pdfbox.rendering.PageDrawerParameters;

/**
 * PDF bytes to one {@link RgbImage} per page with Apache PDFBox, under limits fit for untrusted input.
 *
 * <ul>
 *   <li>Resolution: {@code dpi} (150 by default, what the reference renderings used; a Letter/A4 page is then
 *       about 1240-1275 px wide, well above a 448 px model input on its shorter side).</li>
 *   <li>{@code maxPages}: a longer document is refused ({@code too_many_pages}) before any page is rendered.</li>
 *   <li>{@code maxPixelsPerPage}: a page that would exceed it at {@code dpi} (a poster, a 200-inch "page") is
 *       rendered at the largest lower resolution that fits; the model only sees 448 x 448 of it anyway.</li>
 *   <li>{@code maxRenderTime}: a deadline for the whole document, checked before every content-stream operator
 *       (the page drawer throws when it has passed) and between pages, so a pathological content stream stops
 *       within one operator ({@code render_timeout}).</li>
 *   <li>{@code maxImagePixels}: an embedded image (or its mask) declaring more pixels is refused
 *       ({@code too_many_pixels}) before PDFBox decodes it; PDFBox itself allocates the full declared raster, so a
 *       100-byte 30000 x 30000 image would otherwise be an OutOfMemoryError.</li>
 *   <li>Decompression bombs: before rendering, every stream that is not an image is decoded once, counting
 *       bytes ({@link PdfStreamCheck}); more than {@link #MAX_DECODED_STREAM_BYTES} in all is
 *       {@code corrupt_pdf}.</li>
 *   <li>A document that needs a password is refused ({@code encrypted_pdf}); one encrypted with an empty user
 *       password (permissions only) renders, as in other viewers. Unparseable bytes are {@code corrupt_pdf}.</li>
 * </ul>
 * Thread-safe: every call loads its own document.
 */
public final class PdfRenderer {

    public static final float DEFAULT_DPI = 150f;
    /** Decoded bytes of a document's non-image streams (content, forms, fonts); real documents use a few MB. */
    public static final long MAX_DECODED_STREAM_BYTES = 128L << 20;
    private static final float POINTS_PER_INCH = 72f;

    private final float dpi;
    private final int maxPages;
    private final long maxPixelsPerPage;
    private final long maxImagePixels;
    private final Duration maxRenderTime;

    /** Receives rendered pages one at a time, so a caller can shrink each before the next is rendered. */
    @FunctionalInterface
    public interface PageSink {
        void accept(int pageIndex, int pageCount, RgbImage page);
    }

    /** Embedded images may have as many pixels as a rendered page. */
    public PdfRenderer(float dpi, int maxPages, long maxPixelsPerPage, Duration maxRenderTime) {
        this(dpi, maxPages, maxPixelsPerPage, maxPixelsPerPage, maxRenderTime);
    }

    public PdfRenderer(float dpi, int maxPages, long maxPixelsPerPage, long maxImagePixels, Duration maxRenderTime) {
        if (!(dpi > 0) || maxPages <= 0 || maxPixelsPerPage <= 0 || maxImagePixels <= 0
                || maxRenderTime.isNegative() || maxRenderTime.isZero()) {
            throw new IllegalArgumentException("PDF render limits must be positive: dpi " + dpi + ", maxPages "
                    + maxPages + ", maxPixelsPerPage " + maxPixelsPerPage + ", maxImagePixels " + maxImagePixels
                    + ", maxRenderTime " + maxRenderTime);
        }
        this.dpi = dpi;
        this.maxPages = maxPages;
        this.maxPixelsPerPage = maxPixelsPerPage;
        this.maxImagePixels = maxImagePixels;
        this.maxRenderTime = maxRenderTime;
    }

    /** All pages in order. Holds every full-resolution page at once: prefer {@link #render(byte[], PageSink)}. */
    public List<RgbImage> render(byte[] pdf) {
        List<RgbImage> pages = new ArrayList<>();
        render(pdf, (index, count, page) -> pages.add(page));
        return pages;
    }

    /** Renders page after page into {@code sink}; returns the page count. */
    public int render(byte[] pdf, PageSink sink) {
        return render(pdf, null, sink);
    }

    /**
     * Renders page after page into {@code sink}, each resized to {@code width x height} ({@link BicubicResizer},
     * the same bytes as resizing {@link #render(byte[], PageSink)}'s pages) straight from the rendered raster;
     * returns the page count.
     */
    public int render(byte[] pdf, int width, int height, PageSink sink) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("page size must be positive, got " + width + "x" + height);
        }
        return render(pdf, new PageSize(width, height), sink);
    }

    private record PageSize(int width, int height) {
    }

    /** Renders every page, delivered at full size when {@code resizeTo} is null. */
    private int render(byte[] pdf, PageSize resizeTo, PageSink sink) {
        long deadline = System.nanoTime() + maxRenderTime.toNanos();
        try (PDDocument document = load(pdf)) {
            int pageCount = document.getNumberOfPages();
            if (pageCount > maxPages) {
                throw new ImageDecodeException(ImageDecodeException.Reason.TOO_MANY_PAGES,
                        "PDF has " + pageCount + " pages, more than the limit of " + maxPages);
            }
            if (pageCount == 0) {
                throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_PDF, "PDF has no pages");
            }
            checkStreams(document, deadline);
            PDFRenderer renderer = new DeadlineRenderer(document, deadline, maxImagePixels);
            BufferedImage canvas = null;
            for (int i = 0; i < pageCount; i++) {
                // the sink gets the page's own pixels, never the canvas, so the next page can be drawn on it
                canvas = renderPage(renderer, document, i, deadline, canvas);
                sink.accept(i, pageCount, resizeTo == null ? RasterToRgb.convert(canvas)
                        : BicubicResizer.resize(RasterToRgb.rowsOfIntRgb(canvas), resizeTo.width(), resizeTo.height()));
            }
            return pageCount;
        } catch (IOException e) {
            // only close() is left to fail here; the pages were delivered
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_PDF,
                    "cannot close PDF: " + e.getMessage(), e);
        } catch (ImageDecodeException e) {
            throw e;
        } catch (RuntimeException e) {
            // PDFBox reads objects lazily: a broken page tree or object can surface in any call on the document
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_PDF,
                    "cannot read PDF (" + pdf.length + " bytes): " + e, e);
        }
    }

    /** Page {@code index} drawn on {@code canvas} when it has the page's size, else on a new one; returns it. */
    private BufferedImage renderPage(PDFRenderer renderer, PDDocument document, int index, long deadline,
                                     BufferedImage canvas) {
        try {
            checkDeadline(deadline);
            PageRaster target = pageRaster(document.getPage(index));
            BufferedImage image = canvas != null && canvas.getWidth() == target.width()
                    && canvas.getHeight() == target.height() ? canvas
                    : new BufferedImage(target.width(), target.height(), BufferedImage.TYPE_INT_RGB);
            Graphics2D graphics = image.createGraphics();
            try {
                graphics.setBackground(Color.WHITE);
                graphics.clearRect(0, 0, target.width(), target.height());
                renderer.renderPageToGraphics(index, graphics, target.scale());
            } finally {
                graphics.dispose();
            }
            return image;
        } catch (DeadlinePassed e) {
            throw new ImageDecodeException(ImageDecodeException.Reason.RENDER_TIMEOUT,
                    "PDF rendering took longer than " + maxRenderTime + " (stopped in page " + (index + 1) + ")");
        } catch (ImageTooLarge e) {
            throw new ImageDecodeException(ImageDecodeException.Reason.TOO_MANY_PIXELS,
                    "PDF page " + (index + 1) + " " + e.getMessage() + ", more than the limit of " + maxImagePixels);
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_PDF,
                    "cannot render PDF page " + (index + 1) + ": " + e.getMessage(), e);
        }
    }

    private static PDDocument load(byte[] pdf) {
        if (pdf == null || pdf.length == 0) {
            throw new ImageDecodeException(ImageDecodeException.Reason.EMPTY, "no PDF bytes");
        }
        try {
            return Loader.loadPDF(pdf);
        } catch (InvalidPasswordException e) {
            throw new ImageDecodeException(ImageDecodeException.Reason.ENCRYPTED_PDF,
                    "PDF is encrypted and needs a password", e);
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_PDF,
                    "not a readable PDF (" + pdf.length + " bytes): " + e.getMessage(), e);
        }
    }

    /** The pixel size and scale (pixels per point) a page is rendered at. */
    record PageRaster(int width, int height, float scale) {
    }

    /**
     * {@code ceil(points * dpi / 72)} per side, like poppler's {@code pdftoppm} that made the reference renderings
     * (a Letter page at 150 dpi is 1275 x 1650); a page over the pixel budget gets the largest scale that fits it.
     */
    PageRaster pageRaster(PDPage page) {
        PDRectangle box = page.getCropBox();
        boolean quarterTurn = Math.floorMod(page.getRotation(), 180) == 90;
        double width = quarterTurn ? box.getHeight() : box.getWidth();
        double height = quarterTurn ? box.getWidth() : box.getHeight();
        double scale = dpi / POINTS_PER_INCH;
        int pixelsWide = (int) Math.max(Math.ceil(width * scale), 1);
        int pixelsHigh = (int) Math.max(Math.ceil(height * scale), 1);
        if ((long) pixelsWide * pixelsHigh > maxPixelsPerPage) {
            scale = Math.sqrt(maxPixelsPerPage / (width * height));
            pixelsWide = (int) Math.max(Math.floor(width * scale), 1);
            pixelsHigh = (int) Math.max(Math.floor(height * scale), 1);
        }
        return new PageRaster(pixelsWide, pixelsHigh, (float) scale);
    }

    private void checkStreams(PDDocument document, long deadline) {
        try {
            PdfStreamCheck.run(document, MAX_DECODED_STREAM_BYTES, deadline);
        } catch (PdfStreamCheck.Exceeded e) {
            throw new ImageDecodeException(e.timedOut ? ImageDecodeException.Reason.RENDER_TIMEOUT
                    : ImageDecodeException.Reason.CORRUPT_PDF, e.timedOut
                    ? "PDF rendering took longer than " + maxRenderTime + " (" + e.getMessage() + ")"
                    : e.getMessage());
        }
    }

    private static void checkDeadline(long deadline) {
        if (System.nanoTime() - deadline > 0) {
            throw new DeadlinePassed();
        }
    }

    /** Unwinds PDFBox's drawing from inside a content stream; unchecked so no operator handler swallows it. */
    private static final class DeadlinePassed extends RuntimeException {
        DeadlinePassed() {
            super("render deadline passed", null, false, false);
        }
    }

    /** An embedded image over the pixel limit; unchecked so it unwinds PDFBox's drawing like the deadline. */
    private static final class ImageTooLarge extends RuntimeException {
        ImageTooLarge(String message) {
            super(message, null, false, false);
        }
    }

    private static final class DeadlineRenderer extends PDFRenderer {
        private final long deadline;
        private final long maxImagePixels;

        DeadlineRenderer(PDDocument document, long deadline, long maxImagePixels) {
            super(document);
            this.deadline = deadline;
            this.maxImagePixels = maxImagePixels;
        }

        @Override
        protected PageDrawer createPageDrawer(PageDrawerParameters parameters) throws IOException {
            return new PageDrawer(parameters) {
                @Override
                protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
                    checkDeadline(deadline);
                    super.processOperator(operator, operands);
                }

                @Override
                public void drawImage(PDImage image) throws IOException {
                    checkImageSize("image", image);
                    if (image instanceof PDImageXObject xObject) {
                        checkImageSize("soft mask", xObject.getSoftMask());
                        checkImageSize("mask", xObject.getMask());
                    }
                    super.drawImage(image);
                }
            };
        }

        private void checkImageSize(String what, PDImage image) {
            if (image != null && (long) image.getWidth() * image.getHeight() > maxImagePixels) {
                throw new ImageTooLarge("has an embedded " + what + " of " + image.getWidth() + "x"
                        + image.getHeight() + " = " + (long) image.getWidth() * image.getHeight() + " pixels");
            }
        }
    }
}
