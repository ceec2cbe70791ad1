package pagestream.stream;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Mutated PDFs make PDFBox log tens of thousands of parse errors and stack traces (7 MB per fuzz run); the fuzz
 * tests check the outcomes themselves, so PDFBox's log is off while they run.
 */
final class QuietPdfBox {

    /** Held so the logger (and its level) is not collected while the tests run. */
    private static final Logger PDFBOX = Logger.getLogger("org.apache.pdfbox");

    private QuietPdfBox() {
    }

    static void on() {
        PDFBOX.setLevel(Level.OFF);
    }

    static void off() {
        PDFBOX.setLevel(null);
    }
}
