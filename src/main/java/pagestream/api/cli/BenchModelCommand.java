package pagestream.api.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import pagestream.model.checkpoint.Checkpoints;
import pagestream.model.checkpoint.SafetensorsWriter;
import pagestream.model.checkpoint.Weights;
import pagestream.model.colpali.ColPaliConfig;
import pagestream.model.colpali.ColPaliForRetrieval;
import pagestream.model.gemma.GemmaConfig;
import pagestream.model.paligemma.PaliGemmaConfig;
import pagestream.model.siglip.SiglipVisionConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * {@code bench-model}: CPU float32 forward throughput on random weights of the MEDIUM config (the shapes of a real
 * page: 1024 patches, 1030 tokens), reported as pages/s, queries/s and achieved GFLOP/s, next to a plain DJL matmul
 * GFLOP/s measured in the same run (the ceiling the forward pass can approach).
 */
public final class BenchModelCommand extends ArgumentCommand {

    static final String MEDIUM_CONFIG = "/bench/medium-config.json";
    static final int PROMPT_TAIL = 6; // <bos> + "Describe the image." (4 tokens in Gemma's vocabulary) + "\n"

    @Override
    public String name() {
        return "bench-model";
    }

    @Override
    public String usage() {
        return "bench-model: CPU fp32 forward throughput (pages/s, queries/s, GFLOP/s) on random MEDIUM weights\n"
                + "  --pages N      pages per batch (default 4)\n"
                + "  --queries N    queries per batch (default 8, ~25 tokens each)\n"
                + "  --repeat N     timed batches of each kind (default 3)\n"
                + "  --threads N    PyTorch intra-op threads (default: PyTorch's, normally the core count)\n"
                + "  --profile FILE write PyTorch's profiler trace of the timed page and query batches (Chrome trace JSON)\n"
                + "  --save-weights DIR  also write the random weights as a checkpoint (config.json, model.safetensors)\n"
                + "  --weights DIR  time a checkpoint's weights instead of random ones (e.g. one --save-weights wrote),\n"
                + "                 so src/test/bench/forward_transformers.py --weights DIR times the same numbers";
    }

    public static void main(String[] args) throws Exception {
        System.exit(new BenchModelCommand().run(List.of(args), System.out, System.err));
    }

    public BenchModelCommand() {
        super(Set.of("pages", "queries", "repeat", "threads", "profile", "save-weights", "weights"), Set.of());
    }

    @Override
    int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        if (!args.positionals().isEmpty()) {
            throw new UsageException("unexpected argument " + args.positionals().get(0));
        }
        int pages = args.intValue("pages", 4, 1, 4096);
        int queries = args.intValue("queries", 8, 1, 4096);
        int repeat = args.intValue("repeat", 3, 1, 1_000_000);
        int threads = args.intValue("threads", 0, 1, 1024);
        Path profile = args.value("profile").map(Path::of).orElse(null);
        Path saveWeights = args.value("save-weights").map(Path::of).orElse(null);
        Path weightsDir = args.value("weights").map(Path::of).orElse(null);

        ColPaliConfig config;
        if (weightsDir != null) {
            config = ColPaliConfig.load(weightsDir);
        } else {
            try (InputStream in = BenchModelCommand.class.getResourceAsStream(MEDIUM_CONFIG)) {
                config = ColPaliConfig.fromJson(new ObjectMapper().readTree(in), MEDIUM_CONFIG);
            }
        }
        Engine.getEngine("PyTorch");
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        out.printf("PyTorch %s, intra-op threads %d, inter-op threads %d, %d CPUs, load average %.1f%n",
                Engine.getEngine("PyTorch").getVersion(), JniUtils.getNumThreads(), JniUtils.getNumInteropThreads(),
                Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());

        try (NDManager base = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            int tokens = config.vlmConfig().numImageTokens() + PROMPT_TAIL;
            double matmul = matmulGflops(base, (long) pages * tokens, config.vlmConfig().textConfig());
            out.printf("baseline DJL fp32 matmul [%d x %d] x [%d x %d]: %.1f GFLOP/s%n", (long) pages * tokens,
                    config.vlmConfig().textConfig().hiddenSize(), config.vlmConfig().textConfig().hiddenSize(),
                    2L * config.vlmConfig().textConfig().intermediateSize(), matmul);

            ColPaliForRetrieval model = buildModel(config, base, weightsDir, saveWeights, out);
            try (model) {
                Random random = new Random(42);
                if (profile != null) {
                    JniUtils.startProfile(false, true, false);
                }
                double pageFlops = pageFlops(config);
                double pageSeconds = timePages(model, base, config, pages, repeat, random);
                double pagesPerSecond = pages / pageSeconds;
                double pageGflops = pagesPerSecond * pageFlops / 1e9;
                out.printf("pages: batch %d, %.3f s/batch, %.2f pages/s, %.1f GFLOP/page, %.1f GFLOP/s = %.2f x matmul"
                        + " (transformers eager on this machine class: 1.45-1.58 pages/s, ~95 GFLOP/s)%n",
                        pages, pageSeconds, pagesPerSecond, pageFlops / 1e9, pageGflops, pageGflops / matmul);

                int queryLength = 25;
                double querySeconds = timeQueries(model, base, config, queries, queryLength, repeat, random);
                double queriesPerSecond = queries / querySeconds;
                double queryGflops = queriesPerSecond * textFlops(config.vlmConfig().textConfig(), queryLength,
                        config.embeddingDim()) / 1e9;
                out.printf("queries: batch %d x %d tokens, %.4f s/batch, %.1f queries/s, %.1f GFLOP/s = %.2f x matmul"
                        + " (transformers eager: 150-154 queries/s)%n",
                        queries, queryLength, querySeconds, queriesPerSecond, queryGflops, queryGflops / matmul);
                out.println("the reference on this machine and the same weights: --save-weights DIR, then "
                        + "python src/test/bench/forward_transformers.py --weights DIR --pages " + pages);
                if (profile != null) {
                    JniUtils.stopProfile(profile.toAbsolutePath().toString());
                    out.println("profiler trace written to " + profile);
                }
            }
        }
        return 0;
    }

    /**
     * The model on a checkpoint's weights ({@code --weights}) or on random ones, which {@code --save-weights} also
     * writes as a checkpoint (the MEDIUM config.json and model.safetensors).
     */
    private static ColPaliForRetrieval buildModel(ColPaliConfig config, NDManager base, Path weightsDir,
            Path saveWeights, PrintStream out) throws IOException {
        long t0 = System.nanoTime();
        if (weightsDir != null) {
            try (Weights weights = Checkpoints.open(weightsDir)) {
                ColPaliForRetrieval model = ColPaliForRetrieval.load(config, weights, base, DataType.FLOAT32);
                out.printf("weights of %s loaded in %.1f s%n", weightsDir, (System.nanoTime() - t0) / 1e9);
                return model;
            }
        }
        SafetensorsWriter record = saveWeights == null ? null : new SafetensorsWriter().metadata("format", "pt");
        ColPaliForRetrieval model;
        try (RandomWeights weights = new RandomWeights(config).recordInto(record)) {
            model = ColPaliForRetrieval.load(config, weights, base, DataType.FLOAT32);
        }
        out.printf("random MEDIUM weights built in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        if (record != null) {
            Files.createDirectories(saveWeights);
            record.write(saveWeights.resolve(Checkpoints.SINGLE_FILE));
            try (InputStream in = BenchModelCommand.class.getResourceAsStream(MEDIUM_CONFIG)) {
                Files.copy(in, saveWeights.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
            }
            out.println("weights written to " + saveWeights);
        }
        return model;
    }

    /**
     * GFLOP/s of the decoder's largest matmul shape (the fused gate/up projection of a page batch), the median of 5
     * runs after a warm-up: the same statistic as the forward figures, so a busy machine skews both alike.
     */
    static double matmulGflops(NDManager base, long rows, GemmaConfig t) {
        try (NDManager m = base.newSubManager()) {
            NDArray a = m.randomUniform(-1f, 1f, new Shape(rows, t.hiddenSize()), DataType.FLOAT32);
            NDArray b = m.randomUniform(-1f, 1f, new Shape(t.hiddenSize(), 2L * t.intermediateSize()),
                    DataType.FLOAT32);
            double flops = 2.0 * rows * t.hiddenSize() * 2L * t.intermediateSize();
            double[] seconds = new double[5];
            for (int i = -1; i < seconds.length; i++) {
                long t0 = System.nanoTime();
                a.matMul(b).close();
                if (i >= 0) {
                    seconds[i] = (System.nanoTime() - t0) / 1e9;
                }
            }
            return flops / median(seconds) / 1e9;
        }
    }

    /** Median seconds per page batch (after one warm-up batch). */
    static double timePages(ColPaliForRetrieval model, NDManager base, ColPaliConfig config, int pages, int repeat,
            Random random) {
        PaliGemmaConfig vlm = config.vlmConfig();
        int size = vlm.visionConfig().imageSize();
        int n = vlm.numImageTokens();
        int length = n + PROMPT_TAIL;
        long[] ids = new long[pages * length];
        for (int p = 0; p < pages; p++) {
            for (int s = 0; s < length; s++) {
                ids[p * length + s] = s < n ? vlm.imageTokenIndex() : s == n ? 2 : 3 + random.nextInt(200);
            }
        }
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1);
        float[] pixels = new float[pages * 3 * size * size];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = random.nextFloat() * 2 - 1;
        }
        double[] seconds = new double[repeat];
        for (int r = -1; r < repeat; r++) {
            try (NDManager batch = base.newSubManager()) {
                long t0 = System.nanoTime();
                NDArray px = batch.create(pixels, new Shape(pages, 3, size, size));
                NDArray in = batch.create(ids, new Shape(pages, length));
                NDArray am = batch.create(mask, new Shape(pages, length));
                model.forward(px, in, am).toFloatArray();
                if (r >= 0) {
                    seconds[r] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        return median(seconds);
    }

    /** Median seconds per query batch (after two warm-up batches); ids are random ordinary tokens. */
    static double timeQueries(ColPaliForRetrieval model, NDManager base, ColPaliConfig config, int queries,
            int length, int repeat, Random random) {
        long[] ids = new long[queries * length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i % length == 0 ? 2 : 3 + random.nextInt(200);
        }
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1);
        int runs = Math.max(repeat, 10);
        double[] seconds = new double[runs];
        for (int r = -2; r < runs; r++) {
            try (NDManager batch = base.newSubManager()) {
                long t0 = System.nanoTime();
                NDArray in = batch.create(ids, new Shape(queries, length));
                NDArray am = batch.create(mask, new Shape(queries, length));
                model.forwardText(in, am).toFloatArray();
                if (r >= 0) {
                    seconds[r] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        return median(seconds);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** Multiply-add FLOPs (2 per MAC) of one page: vision tower, projector, decoder over numImageTokens + tail. */
    static double pageFlops(ColPaliConfig config) {
        SiglipVisionConfig v = config.vlmConfig().visionConfig();
        double n = v.numPatches();
        double d = v.hiddenSize();
        double patchEmbed = 2 * n * v.numChannels() * v.patchSize() * v.patchSize() * d;
        double perLayer = 2 * n * d * 3 * d // q, k, v
                + 2 * 2 * n * n * d // scores and context
                + 2 * n * d * d // out_proj
                + 2 * 2 * n * d * v.intermediateSize(); // fc1, fc2
        double projector = 2 * n * d * config.vlmConfig().projectionDim();
        return patchEmbed + v.numHiddenLayers() * perLayer + projector
                + textFlops(config.vlmConfig().textConfig(), config.vlmConfig().numImageTokens() + PROMPT_TAIL,
                        config.embeddingDim());
    }

    /** Decoder + projection head FLOPs for one sequence of {@code s} tokens. */
    static double textFlops(GemmaConfig t, int s, int embeddingDim) {
        double h = t.hiddenSize();
        double perLayer = 2.0 * s * h * (t.queryDim() + 2.0 * t.keyValueDim()) // q, k, v
                + 2 * 2.0 * s * s * t.queryDim() // scores and context over all query heads
                + 2.0 * s * t.queryDim() * h // o_proj
                + 2 * 3.0 * s * h * t.intermediateSize(); // gate, up, down
        return t.numHiddenLayers() * perLayer + 2.0 * s * h * embeddingDim;
    }
}
