package pagestream.model.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The sha256 of a file that is being appended to, updated with each block as it is written, so a finished
 * multi-GB download is verified without reading it again. Only a partial file left by an earlier process (or a
 * failed write) is read back from disk.
 */
final class ContentHash {

    private MessageDigest digest = newDigest();
    private long bytes;

    /** Makes the hash cover exactly what {@code file} holds now. */
    void syncWith(Path file) throws IOException {
        long size = Files.exists(file) ? Files.size(file) : 0;
        if (size == bytes) {
            return;
        }
        reset();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                update(buffer, 0, n);
            }
        }
    }

    void update(byte[] buffer, int offset, int length) {
        digest.update(buffer, offset, length);
        bytes += length;
    }

    void reset() {
        digest = newDigest();
        bytes = 0;
    }

    String hex() {
        try {
            return HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
        }
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
