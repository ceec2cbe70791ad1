package pagestream.api.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a long run on stderr: {@code [#####.....] 12/40 pages  3.1 pages/s  ETA 0:09}. Nothing is printed
 * for runs shorter than two seconds; a terminal sees one line redrawn, a log file a line every ten seconds.
 */
final class ProgressBar {

    private static final long QUIET_NANOS = 2_000_000_000L;
    private static final int WIDTH = 30;

    private final String unit;
    private final int total;
    private final PrintStream err;
    private final boolean terminal;
    private final LongSupplier clock;
    private final long intervalNanos;
    private final long start;
    private long lastPrint;
    private int done;
    private boolean printed;

    ProgressBar(String unit, int total, PrintStream err, boolean terminal, LongSupplier clock) {
        this.unit = unit;
        this.total = total;
        this.err = err;
        this.terminal = terminal;
        this.clock = clock;
        this.intervalNanos = terminal ? 200_000_000L : 10_000_000_000L;
        this.start = clock.getAsLong();
        this.lastPrint = start;
    }

    /** Redraws on a console, appends lines otherwise. */
    static ProgressBar onStderr(String unit, int total, PrintStream err) {
        return new ProgressBar(unit, total, err, System.console() != null && err == System.err, System::nanoTime);
    }

    void advance(int units) {
        done += units;
        long now = clock.getAsLong();
        if (now - start >= QUIET_NANOS && (now - lastPrint >= intervalNanos || done == total)) {
            lastPrint = now;
            print(now);
        }
    }

    /** Ends the bar's line if one was drawn. */
    void finish() {
        if (printed && terminal) {
            err.println();
        }
    }

    private void print(long now) {
        String line = line(done, total, unit, (now - start) / 1e9);
        if (terminal) {
            err.print("\r" + line);
        } else {
            err.println(line);
        }
        err.flush();
        printed = true;
    }

    static String line(int done, int total, String unit, double seconds) {
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        double rate = seconds > 0 ? done / seconds : 0;
        String eta = rate > 0 ? clock((total - done) / rate) : "?";
        return String.format(Locale.ROOT, "[%s%s] %d/%d %s  %.2f %s/s  ETA %s", "#".repeat(filled),
                ".".repeat(WIDTH - filled), done, total, unit, rate, unit, eta);
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
