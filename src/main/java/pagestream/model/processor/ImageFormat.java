package pagestream.model.processor;

import java.util.Optional;

/** Document formats recognised by their leading magic bytes (the declared content type is never trusted). */
public enum ImageFormat {
    PNG("png"),
    JPEG("jpeg"),
    TIFF("tiff"),
    BMP("bmp"),
    GIF("gif"),
    PDF("pdf");

    private final String imageIoName;

    ImageFormat(String imageIoName) {
        this.imageIoName = imageIoName;
    }

    /** The format name ImageIO registers its reader under. */
    String imageIoName() {
        return imageIoName;
    }

    /** The format whose signature starts {@code bytes}, or empty when none matches. */
    public static Optional<ImageFormat> sniff(byte[] bytes) {
        if (bytes == null) {
            return Optional.empty();
        }
        if (startsWith(bytes, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return Optional.of(PNG);
        }
        if (startsWith(bytes, 0xFF, 0xD8, 0xFF)) {
            return Optional.of(JPEG);
        }
        if (startsWith(bytes, 'I', 'I', 42, 0) || startsWith(bytes, 'M', 'M', 0, 42)
                || startsWith(bytes, 'I', 'I', 43, 0) || startsWith(bytes, 'M', 'M', 0, 43)) {
            return Optional.of(TIFF); // classic TIFF and BigTIFF, both byte orders
        }
        if (startsWith(bytes, 'B', 'M')) {
            return Optional.of(BMP);
        }
        if (startsWith(bytes, 'G', 'I', 'F', '8', '7', 'a') || startsWith(bytes, 'G', 'I', 'F', '8', '9', 'a')) {
            return Optional.of(GIF);
        }
        if (startsWith(bytes, '%', 'P', 'D', 'F', '-')) {
            return Optional.of(PDF);
        }
        return Optional.empty();
    }

    private static boolean startsWith(byte[] bytes, int... signature) {
        if (bytes.length < signature.length) {
            return false;
        }
        for (int i = 0; i < signature.length; i++) {
            if ((bytes[i] & 0xFF) != signature[i]) {
                return false;
            }
        }
        return true;
    }
}
