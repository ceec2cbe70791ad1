package pagestream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import pagestream.model.checkpoint.Checkpoints;
import pagestream.model.checkpoint.Weights;
import pagestream.model.colpali.ColPaliConfig;
import pagestream.model.colpali.ColPaliForRetrieval;
import pagestream.model.processor.ColPaliProcessor;
import pagestream.model.processor.RgbImage;
import pagestream.model.processor.TokenBatch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A loaded ColPali checkpoint: processor + model, pages and queries in, multi-vectors out. Calls may run
 * concurrently (the {@code EmbeddingExecutor} runs a query call while a page call is in flight): the weights are
 * only read, the tokenizer is thread-safe, and each batch runs in its own {@link NDManager} scope that is closed
 * before the call returns, so no native memory outlives a call. Close it only when no call is running.
 */
public final class ColPaliModel implements AutoCloseable {

    /** Two lengths, so the batch is padded and the attention mask's path runs too (as in most query batches). */
    static final List<String> WARM_UP_QUERIES = List.of("warm-up", "a longer warm-up query, so that the batch has padding");

    private final String id;
    private final ModelOptions options;
    private final ColPaliConfig config;
    private final NDManager manager;
    private final ColPaliProcessor processor;
    private final ColPaliForRetrieval model;

    private ColPaliModel(String id, ModelOptions options, ColPaliConfig config, NDManager manager,
            ColPaliProcessor processor, ColPaliForRetrieval model) {
        this.id = id;
        this.options = options;
        this.config = config;
        this.manager = manager;
        this.processor = processor;
        this.model = model;
    }

    /**
     * Loads {@code config.json}, the safetensors weights (any layout {@link Checkpoints} reads) and
     * {@code tokenizer.json} from {@code dir}; an adapter's base must be a local directory (absolute or relative
     * to {@code dir}).
     */
    public static ColPaliModel load(Path dir, ModelOptions options) {
        return load(dir, options, dir::resolve);
    }

    /**
     * As {@link #load(Path, ModelOptions)}, resolving a PEFT adapter's {@code base_model_name_or_path} (a hub id or
     * a path) to a local directory with {@code resolveBase}. An adapter repository (e.g. {@code vidore/colpali-v1.3})
     * may lack {@code config.json} or {@code tokenizer.json}: they are then taken from the base.
     */
    public static ColPaliModel load(Path dir, ModelOptions options, Function<String, Path> resolveBase) {
        Optional<Path> base = Checkpoints.adapterBaseName(dir).map(resolveBase);
        Path configDir = Files.exists(dir.resolve("config.json")) ? dir : base.orElse(dir);
        Path tokenizer = (Files.exists(dir.resolve("tokenizer.json")) ? dir : base.orElse(dir)).resolve("tokenizer.json");
        ColPaliConfig config = ColPaliConfig.load(configDir);
        ai.djl.Device device = options.device().resolve();
        DataType dtype = options.dtype().resolve(device);
        NDManager manager = NDManager.newBaseManager(device);
        ColPaliProcessor processor = null;
        try {
            processor = ColPaliProcessor.create(tokenizer,
                    config.vlmConfig().visionConfig().imageSize(), config.vlmConfig().numImageTokens());
            if (processor.imageTokenId() != config.vlmConfig().imageTokenIndex()) {
                throw new ModelConfigException(tokenizer + " gives <image> id "
                        + processor.imageTokenId() + " but config.json vlm_config.image_token_index is "
                        + config.vlmConfig().imageTokenIndex());
            }
            ColPaliForRetrieval model;
            try (Weights weights = Checkpoints.open(dir, resolveBase)) {
                model = ColPaliForRetrieval.load(config, weights, manager, dtype);
            }
            String name = options.id() != null ? options.id() : dir.toAbsolutePath().normalize().getFileName().toString();
            return new ColPaliModel(name, options, config, manager, processor, model);
        } catch (RuntimeException e) {
            if (processor != null) {
                processor.close();
            }
            manager.close();
            throw e;
        }
    }

    /** The model's name (the options' id, else the checkpoint directory's name). */
    public String id() {
        return id;
    }

    /** Where and in which compute dtype the forward runs, e.g. {@code cpu float32}, {@code cuda:0 float16}. */
    public String runsOn() {
        ai.djl.Device device = manager.getDevice();
        return (device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu") + " " + model.computeType();
    }

    public int embeddingDim() {
        return config.embeddingDim();
    }

    /** Square input side in pixels (448 for ColPali v1.x). */
    public int imageSize() {
        return config.vlmConfig().visionConfig().imageSize();
    }

    public ColPaliConfig config() {
        return config;
    }

    public ColPaliProcessor processor() {
        return processor;
    }

    /** One multi-vector per page (every position of the page prompt: image patches, bos, prompt, newline). */
    public List<MultiVector> embedImages(List<RgbImage> images) {
        List<MultiVector> out = new ArrayList<>(images.size());
        for (int from = 0; from < images.size(); from += options.maxBatch()) {
            List<RgbImage> chunk = images.subList(from, Math.min(images.size(), from + options.maxBatch()));
            out.addAll(embedTensors(processor.pixelValues(chunk), processor.pageInputs(chunk.size())).multiVectors());
        }
        return out;
    }

    /** One multi-vector per query, padding rows removed. */
    public List<MultiVector> embedQueries(List<String> queries) {
        List<MultiVector> out = new ArrayList<>(queries.size());
        for (int from = 0; from < queries.size(); from += options.maxBatch()) {
            List<String> chunk = queries.subList(from, Math.min(queries.size(), from + options.maxBatch()));
            out.addAll(embedTensors(null, processor.queryInputs(chunk)).multiVectors());
        }
        return out;
    }

    /**
     * Embeds a padded batch of two queries and returns how long it took. A process's first model call pays costs no
     * later call pays: libtorch's first kernels and thread pool, the tokenizer's and this code's first, interpreted
     * run, and on CUDA the cuBLAS handle and kernel loading (seconds). A service calls this before it reports
     * ready, so that its first user query does not pay them. Pages are not warmed up: on a CPU one page of a real
     * checkpoint is tens of seconds of start-up, and nobody waits on a page's latency.
     */
    public Duration warmUp() {
        long start = System.nanoTime();
        embedQueries(WARM_UP_QUERIES);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * The forward pass on ready-made inputs (no chunking): {@code pixelValues} {@code [N, 3, S, S]} float32
     * channels-first or null, whose N·numImageTokens must match the {@code <image>} ids in {@code tokens}.
     */
    public EmbeddingBatch embedTensors(float[] pixelValues, TokenBatch tokens) {
        int s = imageSize();
        long perImage = 3L * s * s;
        if (pixelValues != null && (pixelValues.length == 0 || pixelValues.length % perImage != 0)) {
            throw new IllegalArgumentException("pixel_values has " + pixelValues.length
                    + " floats, not a whole number of [3, " + s + ", " + s + "] images");
        }
        try (NDManager batch = manager.newSubManager()) {
            NDArray pixels = pixelValues == null ? null
                    : batch.create(pixelValues, new Shape(pixelValues.length / perImage, 3, s, s));
            Shape tokenShape = new Shape(tokens.batch(), tokens.length());
            NDArray ids = batch.create(tokens.inputIds(), tokenShape);
            NDArray mask = batch.create(tokens.attentionMask(), tokenShape);
            float[] data = model.forward(pixels, ids, mask).toFloatArray();
            return new EmbeddingBatch(tokens.batch(), tokens.length(), embeddingDim(), data, tokens.attentionMask());
        }
    }

    /** NDArrays open on the model's native manager: the parameters only, a batch's arrays close with its scope. */
    public int openNativeArrays() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        model.close();
        processor.close();
        manager.close();
    }
}
