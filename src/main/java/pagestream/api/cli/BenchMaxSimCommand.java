package pagestream.api.cli;

import pagestream.store.embedded.MaxSimScan;
import pagestream.store.embedded.PageTiles;
import pagestream.store.embedded.VectorApi;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code bench-maxsim}: exact MaxSim throughput of the embedded store's scan ({@link MaxSimScan} over pages in
 * {@link PageTiles} layout, what every embedded search runs) against baselines measured in the same run: a plain
 * scalar Java loop, and the time to merely read the same page bytes (the memory-bandwidth bound). numpy's figure
 * comes from {@code /work/shared/bench/BASELINES.md} (OpenBLAS {@code q @ D.T}, 2 threads, same machine type).
 */
public final class BenchMaxSimCommand implements CliCommand {

    private static final double NUMPY_LOW = 9_100;
    private static final double NUMPY_HIGH = 9_800;

    @Override
    public String name() {
        return "bench-maxsim";
    }

    @Override
    public String usage() {
        return """
                bench-maxsim  exact MaxSim pages/s of the embedded store's scan vs scalar Java, memory bandwidth and numpy
                  --pages N         pages to scan (default 2000)
                  --page-rows R     vectors per page (default 1030)
                  --query-rows Q    query vectors (default 20)
                  --dim D           vector dimension (default 128)
                  --threads T       scan threads (default: available processors)
                  --repeats K       timed repetitions, median reported (default 7); the scan and the FMA peak
                                    alternate round by round, so their ratio sees one machine load
                """;
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        if (!VectorApi.ENABLED) {
            err.println("bench-maxsim measures the Vector API kernel: " + VectorApi.HOW_TO_ENABLE);
            return 2;
        }
        int pages = 2000, rows = 1030, queryRows = 20, dim = 128, repeats = 7;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (i + 1 >= args.size()) {
                err.println("bench-maxsim: " + arg + " needs a value\n" + usage());
                return 2;
            }
            int value;
            try {
                value = Integer.parseInt(args.get(++i));
            } catch (NumberFormatException e) {
                err.println("bench-maxsim: " + arg + " needs an integer, got " + args.get(i));
                return 2;
            }
            if (value < 1) {
                err.println("bench-maxsim: " + arg + " must be >= 1, got " + value);
                return 2;
            }
            switch (arg) {
                case "--pages" -> pages = value;
                case "--page-rows" -> rows = value;
                case "--query-rows" -> queryRows = value;
                case "--dim" -> dim = value;
                case "--threads" -> threads = value;
                case "--repeats" -> repeats = value;
                default -> {
                    err.println("bench-maxsim: unknown option " + arg + "\n" + usage());
                    return 2;
                }
            }
        }
        long pageBytes = 4L * rows * dim;
        out.printf("bench-maxsim: %d pages of %dx%d fp32 (%.0f MB), query %dx%d, %d threads, %s, %d float lanes%n",
                pages, rows, dim, pages * pageBytes / 1e6, queryRows, dim, threads, Runtime.version(), PageTiles.LANES);

        SplittableRandom rnd = new SplittableRandom(2026);
        float[][] tiles = new float[pages][];
        for (int p = 0; p < pages; p++) {
            tiles[p] = PageTiles.fromRows(normalisedRows(rnd, rows, dim), rows, dim);
        }
        float[] query = normalisedRows(rnd, queryRows, dim);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads - 1), r -> {
            Thread t = new Thread(r, "bench-maxsim");
            t.setDaemon(true);
            return t;
        });
        try {
            final int qr = queryRows, d = dim, n = pages, th = threads;
            double flops = 2.0 * queryRows * rows * dim;
            ScanAndPeak scanAndPeak = scanAlternatingWithPeak(repeats, n * flops,
                    () -> MaxSimScan.scores(query, qr, d, n, i -> tiles[i], pool, th), pool, th);
            double store = n / scanAndPeak.scanSeconds();
            double peak = scanAndPeak.peakFlops();

            int scalarPages = Math.max(1, Math.min(pages, 40 * threads));
            float[][] rowMajor = new float[scalarPages][];
            for (int p = 0; p < scalarPages; p++) {
                rowMajor[p] = PageTiles.toRows(tiles[p], rows, dim);
            }
            final int r = rows;
            double scalar = pagesPerSecond(scalarPages, Math.min(repeats, 3),
                    () -> parallel(pool, th, scalarPages, p -> scalarMaxSim(query, qr, rowMajor[p], r, d)));

            double read1 = bytesPerSecond(tiles, pool, 1, repeats);
            double readN = bytesPerSecond(tiles, pool, threads, repeats);
            double bound1 = read1 / pageBytes;
            double boundN = readN / pageBytes;

            out.printf("store scan (Vector API, %d threads): %,.0f pages/s  (%.1f GFLOP/s)%n", threads, store, store * flops / 1e9);
            out.printf("scalar Java loop (%d threads):       %,.0f pages/s  -> store is %.1fx scalar%n", threads, scalar, store / scalar);
            out.printf("FMA peak, registers only (%d threads): %.1f GFLOP/s -> store at %.0f%% of it (compute bound %,.0f pages/s)%n",
                    threads, peak / 1e9, 100 * scanAndPeak.efficiency(), peak / flops);
            out.printf("memory read, 1 thread:  %.1f GB/s -> bound %,.0f pages/s -> store at %.0f%% of it%n",
                    read1 / 1e9, bound1, 100 * store / bound1);
            out.printf("memory read, %d threads: %.1f GB/s -> bound %,.0f pages/s -> store at %.0f%% of it%n",
                    threads, readN / 1e9, boundN, 100 * store / boundN);
            out.printf("numpy einsum/matmul (BASELINES.md, 2 threads): %,.0f-%,.0f pages/s -> store is %.1f-%.1fx numpy%n",
                    NUMPY_LOW, NUMPY_HIGH, store / NUMPY_HIGH, store / NUMPY_LOW);
            out.printf("compute: %.2f MFLOP per page; load average %s%n", flops / 1e6, loadAverage());
        } finally {
            pool.shutdownNow();
        }
        return 0;
    }

    /** Uniform values, each row scaled to unit length (what ColPali emits). */
    private static float[] normalisedRows(SplittableRandom rnd, int rows, int dim) {
        float[] data = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            double norm = 0;
            for (int d = 0; d < dim; d++) {
                float x = (float) (rnd.nextDouble() - 0.5);
                data[r * dim + d] = x;
                norm += x * x;
            }
            float scale = (float) (1 / Math.sqrt(norm));
            for (int d = 0; d < dim; d++) {
                data[r * dim + d] *= scale;
            }
        }
        return data;
    }

    /** The textbook loop: for every query row, every page row, a scalar dot product. */
    private static float scalarMaxSim(float[] query, int queryRows, float[] page, int rows, int dim) {
        float sum = 0;
        for (int q = 0; q < queryRows; q++) {
            float best = Float.NEGATIVE_INFINITY;
            for (int p = 0; p < rows; p++) {
                float dot = 0;
                for (int d = 0; d < dim; d++) {
                    dot += query[q * dim + d] * page[p * dim + d];
                }
                best = Math.max(best, dot);
            }
            sum += best;
        }
        return sum;
    }

    /** Median scan time, median register-only FMA peak, and the median of the per-round ratios of the two. */
    private record ScanAndPeak(double scanSeconds, double peakFlops, double efficiency) {
    }

    /**
     * Runs the scan and the machine's register-only FMA peak (8 independent FMA chains per thread, no memory
     * traffic) alternately, round by round, after one warm-up round of each. Each round's scan GFLOP/s over that
     * round's peak is the scan's compute efficiency under the same momentary load: other processes on a shared
     * machine slow both alike, where two separately timed phases could each catch a different load.
     */
    private static ScanAndPeak scanAlternatingWithPeak(int repeats, double scanFlops, Timed scan, ExecutorService pool,
                                                       int threads) throws Exception {
        // Claimed in small chunks like the scan's pages, so a thread that loses its core to another process slows
        // both the same way (one static share per thread would leave the peak waiting on the slowest thread).
        final int chunks = 50 * threads, iterationsPerChunk = 400_000;
        Timed fma = () -> parallel(pool, threads, chunks, t -> SimdProbes.fmaChains(iterationsPerChunk));
        double peakFlopsPerRound = 2.0 * 8 * PageTiles.LANES * (double) iterationsPerChunk * chunks;
        double[] scanSeconds = new double[repeats];
        double[] peakSeconds = new double[repeats];
        double[] efficiency = new double[repeats];
        scan.run();
        fma.run();
        for (int k = 0; k < repeats; k++) {
            scanSeconds[k] = seconds(scan);
            peakSeconds[k] = seconds(fma);
            efficiency[k] = (scanFlops / scanSeconds[k]) / (peakFlopsPerRound / peakSeconds[k]);
        }
        return new ScanAndPeak(median(scanSeconds), peakFlopsPerRound / median(peakSeconds), median(efficiency));
    }

    private static double seconds(Timed body) throws Exception {
        long t0 = System.nanoTime();
        body.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Reads every page array once with SIMD adds (no multiply): the fastest any scan of these bytes can go. */
    private static double bytesPerSecond(float[][] tiles, ExecutorService pool, int threads, int repeats) throws Exception {
        long bytes = 0;
        for (float[] t : tiles) {
            bytes += 4L * t.length;
        }
        double[] seconds = new double[repeats + 1];
        for (int k = 0; k <= repeats; k++) {
            long t0 = System.nanoTime();
            parallel(pool, threads, tiles.length, p -> SimdProbes.sum(tiles[p]));
            seconds[k] = (System.nanoTime() - t0) / 1e9;
        }
        return bytes / median(Arrays.copyOfRange(seconds, 1, seconds.length));
    }

    private interface PageTask {
        float run(int page);
    }

    private static volatile float sink;

    /** Runs {@code task} over {@code count} pages on {@code threads} threads (caller included), pages claimed one by one. */
    private static void parallel(ExecutorService pool, int threads, int count, PageTask task) throws Exception {
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            float acc = 0;
            for (int p; (p = next.getAndIncrement()) < count; ) {
                acc += task.run(p);
            }
            sink = acc;
        };
        List<Future<?>> running = new ArrayList<>();
        for (int t = 1; t < threads; t++) {
            running.add(pool.submit(worker));
        }
        worker.run();
        for (Future<?> f : running) {
            f.get();
        }
    }

    private interface Timed {
        void run() throws Exception;
    }

    /** One warm-up run (JIT), then the median of {@code repeats} timed runs. */
    private static double pagesPerSecond(int pages, int repeats, Timed body) throws Exception {
        body.run();
        double[] seconds = new double[repeats];
        for (int k = 0; k < repeats; k++) {
            long t0 = System.nanoTime();
            body.run();
            seconds[k] = (System.nanoTime() - t0) / 1e9;
        }
        return pages / median(seconds);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String loadAverage() {
        return String.format("%.2f", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
