package pagestream.model.hub;

import java.util.Locale;
import java.util.function.Consumer;

/** Logs one file's download progress (percent, MB/s) at most every two seconds, then a summary line. */
final class DownloadProgress {

    private static final long INTERVAL_NANOS = 2_000_000_000L;

    private final String filename;
    private final long total;
    private final Consumer<String> log;
    private final long startNanos = System.nanoTime();
    private final long startBytes;
    private long done;
    private long lastLogNanos = startNanos;

    DownloadProgress(String filename, long total, long alreadyOnDisk, Consumer<String> log) {
        this.filename = filename;
        this.total = total;
        this.log = log;
        this.startBytes = alreadyOnDisk;
        this.done = alreadyOnDisk;
        log.accept(alreadyOnDisk > 0
                ? String.format(Locale.ROOT, "Resuming %s at %s of %s", filename, size(alreadyOnDisk), size(total))
                : String.format(Locale.ROOT, "Downloading %s (%s)", filename, size(total)));
    }

    void advance(long bytes) {
        done += bytes;
        long now = System.nanoTime();
        if (now - lastLogNanos >= INTERVAL_NANOS) {
            lastLogNanos = now;
            log.accept(String.format(Locale.ROOT, "  %s: %3d%% of %s, %.1f MB/s", filename,
                    total > 0 ? done * 100 / total : 0, size(total), rate(now)));
        }
    }

    /** The transfer restarts from the beginning (the server ignored the Range request). */
    void restart() {
        done = 0;
    }

    void finished() {
        long now = System.nanoTime();
        log.accept(String.format(Locale.ROOT, "  %s: %s in %.1f s (%.1f MB/s)", filename, size(done),
                (now - startNanos) / 1e9, rate(now)));
    }

    private double rate(long now) {
        double seconds = Math.max((now - startNanos) / 1e9, 1e-3);
        return Math.max(done - startBytes, 0) / 1e6 / seconds;
    }

    static String size(long bytes) {
        if (bytes >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
        }
        if (bytes >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
    }
}
