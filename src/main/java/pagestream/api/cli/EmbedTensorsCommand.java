package pagestream.api.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import pagestream.model.checkpoint.Checkpoints;
import pagestream.model.checkpoint.SafetensorsFile;
import pagestream.model.checkpoint.SafetensorsWriter;
import pagestream.model.checkpoint.Weights;
import pagestream.model.colpali.ColPaliConfig;
import pagestream.model.colpali.ColPaliForRetrieval;
import pagestream.model.hub.HubOptions;
import pagestream.model.hub.ModelSource;
import pagestream.model.processor.ColPaliProcessor;
import pagestream.model.processor.TokenBatch;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/**
 * {@code embed-tensors --model DIR --input IN.safetensors --output OUT.safetensors}: the model on prepared tensors,
 * for comparing with the Python reference tensor by tensor. Reads whichever inputs are present (the golden files'
 * names; {@code pixel_values} from {@code preprocess} too), writes float32 {@code image_embeddings},
 * {@code query_embeddings} and, when both exist, {@code scores [queries, images]}.
 */
public final class EmbedTensorsCommand extends ArgumentCommand {

    private static final String PIXELS = "image_pixel_values";
    private static final String PREPROCESSED_PIXELS = "pixel_values";
    private static final String IMAGE_IDS = "image_input_ids";
    private static final String IMAGE_MASK = "image_attention_mask";
    private static final String QUERY_IDS = "query_input_ids";
    private static final String QUERY_MASK = "query_attention_mask";

    public EmbedTensorsCommand() {
        super(Set.of("model", "input", "output"), Set.of());
    }

    @Override
    public String name() {
        return "embed-tensors";
    }

    @Override
    public String usage() {
        return """
                --model DIR --input IN.safetensors --output OUT.safetensors
                Runs the model (float32) on the tensors in IN: image_pixel_values [N,3,S,S] (or pixel_values
                from preprocess) with image_input_ids / image_attention_mask [N,L] (the page prompt when absent),
                and/or query_input_ids / query_attention_mask [Q,L]. Writes float32 image_embeddings [N,L,D],
                query_embeddings [Q,L,D] and, when both exist, scores [Q,N] (MaxSim).""";
    }

    @Override
    int run(CliArgs args, PrintStream out, PrintStream err) throws UsageException {
        if (!args.positionals().isEmpty()) {
            throw new UsageException("unexpected argument '" + args.positionals().get(0) + "'");
        }
        Path modelDir = CliArgs.existingDirectory(args.required("model"), "model directory");
        Path input = CliArgs.existingFile(args.required("input"), "input");
        Path output = CliArgs.outputFile(args.required("output"));
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        ColPaliConfig config = ColPaliConfig.load(modelDir);
        HubOptions hub = HubOptions.fromEnvironment().withLog(err::println);
        try (SafetensorsFile in = SafetensorsFile.open(input);
             Weights weights = Checkpoints.open(modelDir, base -> ModelSource.resolve(base, hub));
             NDManager manager = NDManager.newBaseManager();
             ColPaliForRetrieval model = ColPaliForRetrieval.load(config, weights, manager, DataType.FLOAT32)) {
            String pixelsName = in.contains(PIXELS) ? PIXELS : in.contains(PREPROCESSED_PIXELS) ? PREPROCESSED_PIXELS : null;
            if (pixelsName == null && !in.contains(QUERY_IDS)) {
                throw new UsageException("input " + input + " has none of " + PIXELS + ", " + PREPROCESSED_PIXELS
                        + ", " + QUERY_IDS + " (it has " + in.names() + ")");
            }
            float[] images = null;
            long[] imageShape = null;
            if (pixelsName != null) {
                long[] pixelShape = in.shape(pixelsName);
                TokenBatch prompt = in.contains(IMAGE_IDS) ? tokens(in, IMAGE_IDS, IMAGE_MASK)
                        : pagePrompt(modelDir, config, (int) pixelShape[0]);
                try (NDManager batch = manager.newSubManager()) {
                    NDArray embeddings = model.forward(batch.create(in.floats(pixelsName), new Shape(pixelShape)),
                            ids(batch, prompt), mask(batch, prompt));
                    images = embeddings.toFloatArray();
                    imageShape = embeddings.getShape().getShape();
                }
                writer.addFloat32("image_embeddings", imageShape, images);
                out.println("image_embeddings " + Arrays.toString(imageShape));
            }
            if (in.contains(QUERY_IDS)) {
                TokenBatch queries = tokens(in, QUERY_IDS, QUERY_MASK);
                long[] queryShape;
                float[] queryEmbeddings;
                try (NDManager batch = manager.newSubManager()) {
                    NDArray embeddings = model.forwardText(ids(batch, queries), mask(batch, queries));
                    queryEmbeddings = embeddings.toFloatArray();
                    queryShape = embeddings.getShape().getShape();
                }
                writer.addFloat32("query_embeddings", queryShape, queryEmbeddings);
                out.println("query_embeddings " + Arrays.toString(queryShape));
                if (images != null) {
                    int dim = (int) queryShape[2];
                    float[] scores = MaxSim.scores(queryEmbeddings, (int) queryShape[0], images, (int) imageShape[0], dim);
                    writer.addFloat32("scores", new long[]{queryShape[0], imageShape[0]}, scores);
                    out.println("scores [" + queryShape[0] + ", " + imageShape[0] + "]");
                }
            }
        }
        writer.write(output);
        out.println("wrote " + output);
        return 0;
    }

    /** Input ids with their mask (all ones when the file has none). */
    private static TokenBatch tokens(SafetensorsFile in, String idsName, String maskName) throws UsageException {
        long[] shape = in.shape(idsName);
        if (shape.length != 2) {
            throw new UsageException(idsName + " in " + in.path() + " must be [batch, length], got "
                    + Arrays.toString(shape));
        }
        long[] ids = in.longs(idsName);
        long[] mask;
        if (in.contains(maskName)) {
            if (!Arrays.equals(in.shape(maskName), shape)) {
                throw new UsageException(maskName + " " + Arrays.toString(in.shape(maskName)) + " does not match "
                        + idsName + " " + Arrays.toString(shape) + " in " + in.path());
            }
            mask = in.longs(maskName);
        } else {
            mask = new long[ids.length];
            Arrays.fill(mask, 1L);
        }
        return new TokenBatch((int) shape[0], (int) shape[1], ids, mask);
    }

    private static TokenBatch pagePrompt(Path modelDir, ColPaliConfig config, int pages) {
        try (ColPaliProcessor processor = ColPaliProcessor.create(modelDir.resolve("tokenizer.json"),
                config.vlmConfig().visionConfig().imageSize(), config.vlmConfig().numImageTokens())) {
            return processor.pageInputs(pages);
        }
    }

    private static NDArray ids(NDManager manager, TokenBatch batch) {
        return manager.create(batch.inputIds(), new Shape(batch.batch(), batch.length()));
    }

    private static NDArray mask(NDManager manager, TokenBatch batch) {
        return manager.create(batch.attentionMask(), new Shape(batch.batch(), batch.length()));
    }
}
