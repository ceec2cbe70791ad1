package pagestream.stream;

import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/** Small real page images and PDFs made in memory, each visibly different so their embeddings differ. */
final class TestPages {

    private TestPages() {
    }

    /** A {@code width x height} page: a coloured background with a few bars whose layout depends on {@code seed}. */
    static BufferedImage drawing(int width, int height, int seed) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(Color.HSBtoRGB(seed * 0.137f, 0.35f, 0.95f)));
        g.fillRect(0, 0, width, height);
        g.setColor(new Color(Color.HSBtoRGB(seed * 0.311f + 0.5f, 0.8f, 0.3f)));
        for (int bar = 0; bar < 3 + seed % 4; bar++) {
            int y = (bar * 17 + seed * 7) % Math.max(1, height - 6);
            g.fillRect((seed * 5 + bar * 3) % (width / 2), y, width / 2 + bar * 4 % (width / 2), 5);
        }
        g.dispose();
        return image;
    }

    static byte[] png(int seed) {
        return encode(drawing(80, 100, seed), "png");
    }

    static byte[] jpeg(int seed) {
        return encode(drawing(90, 70, seed), "jpeg");
    }

    static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A PDF of {@code pages} pages, each with a different coloured rectangle. */
    static byte[] pdf(int pages) {
        try (PDDocument document = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            for (int i = 0; i < pages; i++) {
                PDPage page = new PDPage(new PDRectangle(72, 96)); // 1 x 1.33 inch
                document.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                    content.setNonStrokingColor(new Color(Color.HSBtoRGB(i * 0.29f, 0.9f, 0.8f)));
                    content.addRect(6 + 9 * i, 10, 30, 50 - 7 * i);
                    content.fill();
                }
            }
            document.save(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A valid PNG header declaring {@code side x side} pixels followed by a tiny IDAT: a decompression bomb's
     * header, refused before any pixel is decoded.
     */
    static byte[] pngDeclaring(int side) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
            ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
            try (DataOutputStream header = new DataOutputStream(ihdr)) {
                header.writeInt(side);
                header.writeInt(side);
                header.write(new byte[] {8, 2, 0, 0, 0}); // 8-bit RGB, deflate, no filter, no interlace
            }
            chunk(out, "IHDR", ihdr.toByteArray());
            chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
            chunk(out, "IEND", new byte[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** {@code png} with a private ancillary chunk of {@code size} random bytes before IEND (decoders skip it). */
    static byte[] withAncillaryChunk(byte[] png, int size) {
        byte[] data = new byte[size];
        new java.util.Random(size).nextBytes(data);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(png, 0, png.length - 12); // everything but IEND
            chunk(out, "pagE", data);
            out.write(png, png.length - 12, 12);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeInt(data.length);
        out.write(typeBytes);
        out.write(data);
        out.writeInt((int) crc.getValue());
    }
}
