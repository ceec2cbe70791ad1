package pagestream.stream;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 validation for JSON event values. Jackson decodes overlong forms ({@code C0 AF} = {@code /}) and
 * UTF-8-encoded surrogates without complaint, so a value is checked with the JDK's strict decoder first; this
 * check decodes into a small buffer, so a 50 MB page envelope costs no 100 MB string.
 */
final class Utf8 {

    private Utf8() {
    }

    static boolean isValid(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                return false;
            }
            if (result.isUnderflow()) {
                return decoder.flush(out.clear()).isUnderflow();
            }
            out.clear(); // overflow: the characters are not needed, only the verdict
        }
    }
}
