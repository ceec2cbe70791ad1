package pagestream.api.cli;

import pagestream.embed.ComputeDtype;
import pagestream.model.ColPaliModel;
import pagestream.model.EmbeddingBatch;
import pagestream.model.ModelOptions;
import pagestream.model.checkpoint.SafetensorsFile;
import pagestream.model.checkpoint.SafetensorsWriter;
import pagestream.model.hub.HubOptions;
import pagestream.model.hub.ModelSource;
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
        super(Set.of("model", "input", "output", "device", "dtype"), Set.of());
    }

    @Override
    public String name() {
        return "embed-tensors";
    }

    @Override
    public String usage() {
        return """
                --model DIR --input IN.safetensors --output OUT.safetensors [--device auto|cpu|cuda] [--dtype fp32|fp16|auto]
                Runs the model on the tensors in IN: image_pixel_values [N,3,S,S] (or pixel_values
                from preprocess) with image_input_ids / image_attention_mask [N,L] (the page prompt when absent),
                and/or query_input_ids / query_attention_mask [Q,L]. Writes float32 image_embeddings [N,L,D],
                query_embeddings [Q,L,D] and, when both exist, scores [Q,N] (MaxSim).
                --dtype is the compute dtype: fp32 (default) to compare with the float32 reference, auto for what
                the service runs on the device (fp16 on CUDA, with norms, softmax and residual stream in fp32).""";
    }

    @Override
    int run(CliArgs args, PrintStream out, PrintStream err) throws UsageException {
        if (!args.positionals().isEmpty()) {
            throw new UsageException("unexpected argument '" + args.positionals().get(0) + "'");
        }
        Path modelDir = CliArgs.existingDirectory(args.required("model"), "model directory");
        Path input = CliArgs.existingFile(args.required("input"), "input");
        Path output = CliArgs.outputFile(args.required("output"));
        ModelOptions options = ModelOptions.defaults().withDevice(args.device()).withDtype(dtype(args));
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        try (SafetensorsFile in = SafetensorsFile.open(input)) {
            String pixelsName = in.contains(PIXELS) ? PIXELS : in.contains(PREPROCESSED_PIXELS) ? PREPROCESSED_PIXELS : null;
            if (pixelsName == null && !in.contains(QUERY_IDS)) {
                throw new UsageException("input " + input + " has none of " + PIXELS + ", " + PREPROCESSED_PIXELS
                        + ", " + QUERY_IDS + " (it has " + in.names() + ")");
            }
            try (ColPaliModel model = ColPaliModel.load(modelDir, options,
                    base -> ModelSource.resolve(base, HubOptions.fromEnvironment()))) {
                out.println("model " + model.id() + " on " + model.runsOn());
                EmbeddingBatch images = null;
                if (pixelsName != null) {
                    TokenBatch prompt = in.contains(IMAGE_IDS) ? tokens(in, IMAGE_IDS, IMAGE_MASK)
                            : model.processor().pageInputs((int) in.shape(pixelsName)[0]);
                    images = model.embedTensors(in.floats(pixelsName), prompt);
                    add(writer, out, "image_embeddings", images);
                }
                if (in.contains(QUERY_IDS)) {
                    EmbeddingBatch queries = model.embedTensors(null, tokens(in, QUERY_IDS, QUERY_MASK));
                    add(writer, out, "query_embeddings", queries);
                    if (images != null) {
                        float[] scores = MaxSim.scores(queries.data(), queries.batch(), images.data(), images.batch(),
                                queries.dim());
                        writer.addFloat32("scores", new long[]{queries.batch(), images.batch()}, scores);
                        out.println("scores [" + queries.batch() + ", " + images.batch() + "]");
                    }
                }
            }
        }
        writer.write(output);
        out.println("wrote " + output);
        return 0;
    }

    /** {@code --dtype}, float32 when absent: this command exists first to compare with the float32 reference. */
    private static ComputeDtype dtype(CliArgs args) throws UsageException {
        String text = args.value("dtype").orElse("fp32");
        try {
            return ComputeDtype.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--dtype must be fp32, fp16 or auto, got '" + text + "'");
        }
    }

    private static void add(SafetensorsWriter writer, PrintStream out, String name, EmbeddingBatch batch) {
        long[] shape = {batch.batch(), batch.length(), batch.dim()};
        writer.addFloat32(name, shape, batch.data());
        out.println(name + " " + Arrays.toString(shape));
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
}
