package pagestream.model.processor;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSObjectKey;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.filter.FilterFactory;
import org.apache.pdfbox.pdmodel.PDDocument;

/**
 * Decodes every non-image stream of a PDF once, counting bytes, before it is rendered: a decompression bomb (a
 * few MB of deflate that inflate to gigabytes) is refused in bounded time and memory. PDFBox decodes a stream
 * into memory whole before using it, and its content tokenizer checks no deadline between two operators, so
 * without this a 50 MB bomb is an OutOfMemoryError or many minutes in the stream thread.
 *
 * <p>Image streams are skipped (their size is bounded by the pixel limits when they are drawn), and so are
 * streams that fail to decode: the renderer skips what it cannot read, as viewers do.
 */
final class PdfStreamCheck {

    /** Image codecs: their output is samples whose count the renderer checks against the pixel limit. */
    private static final List<COSName> IMAGE_FILTERS = List.of(COSName.DCT_DECODE, COSName.DCT_DECODE_ABBREVIATION,
            COSName.JPX_DECODE, COSName.JBIG2_DECODE, COSName.CCITTFAX_DECODE, COSName.CCITTFAX_DECODE_ABBREVIATION);

    private final long maxBytes;
    private final long deadline;
    private long decoded;

    /** Why the check stopped: over the byte budget or past the deadline. */
    static final class Exceeded extends RuntimeException {
        final boolean timedOut;

        Exceeded(boolean timedOut, String message) {
            super(message, null, false, false);
            this.timedOut = timedOut;
        }
    }

    private PdfStreamCheck(long maxBytes, long deadline) {
        this.maxBytes = maxBytes;
        this.deadline = deadline;
    }

    /**
     * @param deadline {@link System#nanoTime()} after which the check gives up
     * @throws Exceeded when the streams decode to more than {@code maxBytes} in all, or the deadline passes
     */
    static void run(PDDocument document, long maxBytes, long deadline) {
        PdfStreamCheck check = new PdfStreamCheck(maxBytes, deadline);
        for (COSObjectKey key : List.copyOf(document.getDocument().getXrefTable().keySet())) {
            if (document.getDocument().getObjectFromPool(key).getObject() instanceof COSStream stream
                    && !isImage(stream)) {
                check.decode(stream);
            }
        }
    }

    private void decode(COSStream stream) {
        List<COSName> filters = filters(stream);
        if (filters.isEmpty()) {
            return; // raw bytes: bounded by the message size
        }
        try (InputStream raw = stream.createRawInputStream()) {
            InputStream in = raw;
            for (int i = 0; i < filters.size() - 1; i++) {
                // an intermediate stage is held in memory, at most maxBytes of it
                ByteArrayOutputStream stage = new ByteArrayOutputStream();
                FilterFactory.INSTANCE.getFilter(filters.get(i)).decode(in, counting(stage), stream, i);
                in = new ByteArrayInputStream(stage.toByteArray());
            }
            int last = filters.size() - 1;
            FilterFactory.INSTANCE.getFilter(filters.get(last)).decode(in, counting(OutputStream.nullOutputStream()),
                    stream, last);
        } catch (IOException | RuntimeException e) {
            if (e instanceof Exceeded exceeded) {
                throw exceeded;
            }
            // undecodable: left to the renderer
        }
    }

    private OutputStream counting(OutputStream target) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                count(1);
                target.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                count(len);
                target.write(b, off, len);
            }
        };
    }

    private void count(int bytes) {
        decoded += bytes;
        if (decoded > maxBytes) {
            throw new Exceeded(false, "PDF streams decode to more than " + maxBytes + " bytes (a decompression bomb)");
        }
        if (System.nanoTime() - deadline > 0) {
            throw new Exceeded(true, "decoding the PDF's streams outlived the render deadline");
        }
    }

    private static List<COSName> filters(COSStream stream) {
        COSBase filters = stream.getFilters();
        List<COSName> names = new ArrayList<>();
        if (filters instanceof COSName name) {
            names.add(name);
        } else if (filters instanceof COSArray array) {
            for (COSBase filter : array) {
                if (filter instanceof COSName name) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private static boolean isImage(COSStream stream) {
        return COSName.IMAGE.equals(stream.getCOSName(COSName.SUBTYPE))
                || filters(stream).stream().anyMatch(IMAGE_FILTERS::contains);
    }
}
