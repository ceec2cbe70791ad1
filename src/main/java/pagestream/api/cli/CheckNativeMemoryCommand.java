package pagestream.api.cli;

import pagestream.model.ColPaliModel;
import pagestream.model.ModelOptions;
import pagestream.model.hub.HubOptions;
import pagestream.model.hub.ModelSource;
import pagestream.model.processor.RgbImage;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;

/**
 * {@code check-native-memory --model DIR [--batches 10000] [--warmup 200] [--pages 2] [--max-rss-growth-mb 64]}:
 * runs many page and query batches through {@link ColPaliModel} (preprocessing included) and fails unless the
 * model's native manager holds exactly the arrays it held after the warm-up and the process RSS grew by at most
 * the bound over the second half of the batches. The first half is excluded because JIT compilations and the
 * allocators' arenas grow RSS in steps that level off (on tiny-a: 60 MB in the first half, then flat; on a heavily
 * loaded machine 40 MB, then 29 MB of steps between batches 5,000 and 8,000, then flat), while a leak grows with
 * every batch: 64 MB over 5,000 batches is 13 KB a batch, a third of the pixel tensor of one tiny-a page
 * (3 x 56 x 56 floats, 37 KB). Too long for a unit test at 10,000 batches (minutes), so it is a command; run it
 * with a pre-touched fixed heap
 * ({@code -Xms512m -Xmx512m -XX:+AlwaysPreTouch}) so that RSS growth is native growth.
 */
public final class CheckNativeMemoryCommand extends ArgumentCommand {

    private static final String[] QUERIES = {"What is ASN.1?", "Which MIME type does a PNG image have?",
        "How are DER lengths encoded?", "tasn1"};

    public CheckNativeMemoryCommand() {
        super(Set.of("model", "batches", "warmup", "pages", "max-rss-growth-mb"), Set.of());
    }

    @Override
    public String name() {
        return "check-native-memory";
    }

    @Override
    public String usage() {
        return """
                --model DIR [--batches 10000] [--warmup 200] [--pages 2] [--max-rss-growth-mb 64]
                Embeds BATCHES batches, page batches (PAGES random pages through the image processor) and query \
                batches alternately, after WARMUP batches; prints RSS and open NDArrays ten times on the way. \
                Exit 1 when the open NDArrays differ from after the warm-up or RSS grew by more than the bound \
                over the second half of the batches (the first half levels off JIT and allocator growth).""";
    }

    @Override
    int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        if (!args.positionals().isEmpty()) {
            throw new UsageException("unexpected argument '" + args.positionals().get(0) + "'");
        }
        Path modelDir = CliArgs.existingDirectory(args.required("model"), "model directory");
        int batches = args.intValue("batches", 10_000, 1, 10_000_000);
        int warmup = args.intValue("warmup", 200, 0, 1_000_000);
        int pageCount = args.intValue("pages", 2, 1, 64);
        long maxGrowthKb = args.intValue("max-rss-growth-mb", 64, 0, 1 << 20) * 1024L;
        try (ColPaliModel model = ColPaliModel.load(modelDir, ModelOptions.defaults(),
                base -> ModelSource.resolve(base, HubOptions.fromEnvironment()))) {
            List<RgbImage> pages = randomPages(pageCount, model.imageSize());
            List<String> queries = List.of(QUERIES);
            for (int i = 0; i < warmup; i++) {
                batch(model, i, pages, queries);
            }
            int arraysBefore = model.openNativeArrays();
            Optional<Long> rssBefore = rssKb();
            long start = System.nanoTime();
            out.printf("check-native-memory: %s, %d batches after %d warm-up batches (%d pages or %d queries each)%n",
                    modelDir, batches, warmup, pageCount, queries.size());
            report(out, "after warm-up", arraysBefore, rssBefore);
            long maxRss = rssBefore.orElse(0L);
            Optional<Long> rssHalfway = rssBefore;
            for (int i = 0; i < batches; i++) {
                batch(model, i, pages, queries);
                if (i + 1 == batches / 2) {
                    rssHalfway = rssKb();
                    maxRss = rssHalfway.orElse(0L);
                }
                if ((i + 1) % Math.max(1, batches / 10) == 0 || i + 1 == batches) {
                    Optional<Long> rss = rssKb();
                    maxRss = Math.max(maxRss, rss.orElse(0L));
                    report(out, String.format("batch %,d (%.0f s)", i + 1, (System.nanoTime() - start) / 1e9),
                            model.openNativeArrays(), rss);
                }
            }
            int arraysAfter = model.openNativeArrays();
            if (arraysAfter != arraysBefore) {
                err.printf("check-native-memory: %d NDArrays open after %d batches, %d after the warm-up%n",
                        arraysAfter, batches, arraysBefore);
                return 1;
            }
            if (rssHalfway.isPresent() && maxRss - rssHalfway.get() > maxGrowthKb) {
                err.printf("check-native-memory: RSS grew by %,d KB over the second half of %d batches (bound %,d KB)%n",
                        maxRss - rssHalfway.get(), batches, maxGrowthKb);
                return 1;
            }
            out.printf("  ok: open NDArrays unchanged (%d); RSS growth over the second half %s%n", arraysAfter,
                    rssHalfway.isEmpty() ? "not measured (no /proc/self/status)"
                            : String.format("%,d KB (bound %,d KB), %,d KB since the warm-up",
                                    maxRss - rssHalfway.get(), maxGrowthKb, maxRss - rssBefore.get()));
            return 0;
        }
    }

    /** Page batches and query batches alternate, so both forward paths run half of the batches. */
    private static void batch(ColPaliModel model, int i, List<RgbImage> pages, List<String> queries) {
        if (i % 2 == 0) {
            model.embedImages(pages);
        } else {
            model.embedQueries(queries);
        }
    }

    /** The resident set size in KB (Linux); empty elsewhere. */
    private static Optional<Long> rssKb() {
        OptionalLong bytes = MemorySampler.rss();
        return bytes.isPresent() ? Optional.of(bytes.getAsLong() / 1024) : Optional.empty();
    }

    private static void report(PrintStream out, String when, int arrays, Optional<Long> rss) {
        long heapMb = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() >> 20;
        out.printf("  %-24s open NDArrays %d, RSS %s, heap committed %d MB%n", when, arrays,
                rss.map(kb -> String.format("%,d KB", kb)).orElse("n/a"), heapMb);
    }

    /** Pages larger than the model input, so every batch runs the resize too. */
    private static List<RgbImage> randomPages(int count, int size) {
        Random random = new Random(42);
        List<RgbImage> pages = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] rgb = new byte[size * 2 * size * 3];
            random.nextBytes(rgb);
            pages.add(new RgbImage(size, size * 2, rgb));
        }
        return pages;
    }
}
