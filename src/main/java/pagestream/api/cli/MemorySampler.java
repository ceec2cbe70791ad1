package pagestream.api.cli;

import javax.management.ObjectName;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Samples the process's memory on a daemon thread: heap used and committed, resident set size ({@code VmRSS} of
 * {@code /proc/self/status}: everything, PyTorch's and RocksDB's native allocations included) and, when the JVM runs
 * with {@code -XX:NativeMemoryTracking=summary}, what the JVM itself has committed (heap, metaspace, threads, code,
 * direct buffers). RSS minus the NMT total is memory outside the JVM's own accounting.
 */
final class MemorySampler implements AutoCloseable {

    private static final Pattern NMT_TOTAL = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB");
    private static final Pattern VM_RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");
    private static final long MB = 1 << 20;

    /** One sample; sizes in bytes, {@code nmtCommitted} -1 when native memory tracking is off. */
    record Sample(double seconds, String phase, long progress, long heapUsed, long heapCommitted, long rss,
            long nmtCommitted) {
    }

    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final Supplier<String> phase;
    private final LongSupplier progress;
    private final long start = System.nanoTime();
    private final boolean nmt = nmtCommitted().isPresent();
    private final Thread thread;
    private volatile boolean stopped;

    /** Samples every {@code intervalMs}, labelling each with the current phase and progress (pages stored). */
    MemorySampler(long intervalMs, Supplier<String> phase, LongSupplier progress) {
        this.phase = phase;
        this.progress = progress;
        this.thread = new Thread(() -> {
            while (!stopped) {
                sample();
                try {
                    Thread.sleep(intervalMs);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-memory-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    Sample sample() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        Sample sample = new Sample((System.nanoTime() - start) / 1e9, phase.get(), progress.getAsLong(),
                heap.getUsed(), heap.getCommitted(), rss().orElse(-1), nmtCommitted().orElse(-1));
        samples.add(sample);
        return sample;
    }

    List<Sample> samples() {
        return List.copyOf(samples);
    }

    boolean tracksNativeMemory() {
        return nmt;
    }

    /** At most {@code rows} samples, evenly spread, the first and last included. */
    void printTable(PrintStream out, int rows) {
        List<Sample> all = samples();
        List<Sample> shown = new ArrayList<>();
        for (int i = 0; i < Math.min(rows, all.size()); i++) {
            shown.add(all.get(rows >= all.size() ? i : (int) Math.round(i * (all.size() - 1.0) / (rows - 1))));
        }
        out.printf("%8s  %-10s %8s %10s %10s %8s %8s %11s%n", "t (s)", "phase", "stored", "heap used", "heap comm",
                "RSS", "NMT", "RSS - NMT");
        for (Sample s : shown) {
            out.printf("%8.1f  %-10s %8d %7d MB %7d MB %5d MB %8s %11s%n", s.seconds(), s.phase(), s.progress(),
                    s.heapUsed() / MB, s.heapCommitted() / MB, s.rss() / MB,
                    s.nmtCommitted() < 0 ? "-" : s.nmtCommitted() / MB + " MB",
                    s.nmtCommitted() < 0 ? "-" : (s.rss() - s.nmtCommitted()) / MB + " MB");
        }
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }

    static OptionalLong rss() {
        try {
            Matcher m = VM_RSS.matcher(Files.readString(Path.of("/proc/self/status")));
            return m.find() ? OptionalLong.of(Long.parseLong(m.group(1)) * 1024) : OptionalLong.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty(); // not Linux
        }
    }

    /** The JVM's committed memory from native memory tracking, empty when it is off. */
    static OptionalLong nmtCommitted() {
        try {
            Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
            Matcher m = NMT_TOTAL.matcher(String.valueOf(text));
            return m.find() ? OptionalLong.of(Long.parseLong(m.group(2)) * 1024) : OptionalLong.empty();
        } catch (Exception e) {
            return OptionalLong.empty();
        }
    }
}
