package pagestream.api.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import pagestream.embed.Device;
import pagestream.model.ColPaliModel;
import pagestream.model.ModelOptions;
import pagestream.model.MultiVector;
import pagestream.model.checkpoint.SafetensorsWriter;
import pagestream.model.hub.HubOptions;
import pagestream.model.hub.ModelSource;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * {@code embed --model DIR [--query TEXT]... [IMAGE|PDF]...}: pages and queries through the model for people
 * trying it out: prints the score table (queries x pages), optionally writes every embedding to a safetensors file,
 * shows a progress bar on stderr when the pages take a while.
 */
public final class EmbedCommand extends ArgumentCommand {

    private static final int LABEL_WIDTH = 14;
    private static final int QUERY_WIDTH = 40;

    public EmbedCommand() {
        super(Set.of("model", "query", "output", "device", "batch"), Set.of());
    }

    @Override
    public String name() {
        return "embed";
    }

    @Override
    public String usage() {
        return """
                --model DIR|REPO_ID [--query TEXT]... [IMAGE|PDF]... [--output OUT.safetensors] [--device auto|cpu|cuda] [--batch N]
                Embeds page images (PNG, JPEG, TIFF, BMP, GIF; PDFs page by page at 150 dpi) and queries, prints
                the MaxSim score of every query against every page, and with --output writes image_embeddings
                [P,L,D], query_embeddings [Q,Lmax,D] (zero-padded) with query_attention_mask, and scores [Q,P].""";
    }

    @Override
    int run(CliArgs args, PrintStream out, PrintStream err) throws UsageException, IOException {
        String model = args.required("model");
        List<String> queries = args.values("query");
        List<Path> files = new ArrayList<>();
        for (String name : args.positionals()) {
            files.add(CliArgs.existingFile(name, "input"));
        }
        if (files.isEmpty() && queries.isEmpty()) {
            throw new UsageException("nothing to embed: give page images / PDFs and/or --query TEXT");
        }
        for (String query : queries) {
            if (query.isBlank()) {
                throw new UsageException("--query must not be empty");
            }
        }
        Optional<Path> output = args.value("output").isPresent()
                ? Optional.of(CliArgs.outputFile(args.value("output").get())) : Optional.empty();
        Device device = args.device();
        int batch = args.intValue("batch", 4, 1, 256);

        HubOptions hub = HubOptions.fromEnvironment().withLog(err::println);
        Path dir = ModelSource.resolve(model, hub);
        long start = System.nanoTime();
        try (ColPaliModel colpali = ColPaliModel.load(dir,
                ModelOptions.defaults().withId(model).withDevice(device).withMaxBatch(batch),
                base -> ModelSource.resolve(base, hub))) {
            err.printf(Locale.ROOT, "loaded %s in %.1f s%n", colpali.id(), (System.nanoTime() - start) / 1e9);
            List<PageFiles.Page> pages = PageFiles.read(files, colpali.processor().imageSize());
            List<MultiVector> pageVectors = embedPages(colpali, pages, batch, err);
            List<MultiVector> queryVectors = queries.isEmpty() ? List.of() : colpali.embedQueries(queries);
            float[][] scores = new float[queries.size()][pages.size()];
            for (int q = 0; q < queries.size(); q++) {
                for (int p = 0; p < pages.size(); p++) {
                    scores[q][p] = score(queryVectors.get(q), pageVectors.get(p));
                }
            }
            printSummary(out, pages, pageVectors, queries, scores);
            if (output.isPresent()) {
                write(output.get(), colpali.id(), pages, pageVectors, queries, queryVectors, scores,
                        colpali.embeddingDim());
                out.println("wrote " + output.get());
            }
        }
        return 0;
    }

    private static List<MultiVector> embedPages(ColPaliModel colpali, List<PageFiles.Page> pages, int batch,
                                                PrintStream err) {
        List<MultiVector> vectors = new ArrayList<>(pages.size());
        ProgressBar progress = ProgressBar.onStderr("pages", pages.size(), err);
        for (int from = 0; from < pages.size(); from += batch) {
            List<PageFiles.Page> chunk = pages.subList(from, Math.min(pages.size(), from + batch));
            vectors.addAll(colpali.embedImages(chunk.stream().map(PageFiles.Page::image).toList()));
            progress.advance(chunk.size());
        }
        progress.finish();
        return vectors;
    }

    private static float score(MultiVector query, MultiVector page) {
        return MaxSim.score(query.data(), 0, query.rows(), page.data(), 0, page.rows(), query.dim());
    }

    private static void printSummary(PrintStream out, List<PageFiles.Page> pages, List<MultiVector> pageVectors,
                                     List<String> queries, float[][] scores) {
        if (!pages.isEmpty()) {
            MultiVector first = pageVectors.get(0);
            out.printf(Locale.ROOT, "%d page(s), %d x %d vectors each%n", pages.size(), first.rows(), first.dim());
        }
        if (!queries.isEmpty() && pages.isEmpty()) {
            out.printf(Locale.ROOT, "%d query(ies) embedded%n", queries.size());
        }
        if (queries.isEmpty() || pages.isEmpty()) {
            return;
        }
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-" + QUERY_WIDTH + "s", "query"));
        for (PageFiles.Page page : pages) {
            header.append(String.format(Locale.ROOT, " %" + LABEL_WIDTH + "s", clip(page.label(), LABEL_WIDTH)));
        }
        out.println(header);
        for (int q = 0; q < queries.size(); q++) {
            int best = 0;
            for (int p = 1; p < pages.size(); p++) {
                best = scores[q][p] > scores[q][best] ? p : best;
            }
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + QUERY_WIDTH + "s",
                    clip(queries.get(q), QUERY_WIDTH)));
            for (int p = 0; p < pages.size(); p++) {
                String cell = String.format(Locale.ROOT, "%.3f", scores[q][p]) + (p == best ? "*" : " ");
                row.append(String.format(Locale.ROOT, " %" + LABEL_WIDTH + "s", cell));
            }
            out.println(row);
        }
        out.println("(* = best page for the query; score = MaxSim, the sum over query tokens of the best page match)");
    }

    private static void write(Path file, String modelId, List<PageFiles.Page> pages, List<MultiVector> pageVectors,
                              List<String> queries, List<MultiVector> queryVectors, float[][] scores, int dim)
            throws IOException {
        ObjectMapper json = new ObjectMapper();
        SafetensorsWriter writer = new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata("model", modelId)
                .metadata("pages", json.writeValueAsString(pages.stream().map(PageFiles.Page::label).toList()))
                .metadata("queries", json.writeValueAsString(queries));
        if (!pages.isEmpty()) {
            int rows = pageVectors.get(0).rows();
            float[] data = new float[pages.size() * rows * dim];
            for (int p = 0; p < pages.size(); p++) {
                System.arraycopy(pageVectors.get(p).data(), 0, data, p * rows * dim, rows * dim);
            }
            writer.addFloat32("image_embeddings", new long[]{pages.size(), rows, dim}, data);
        }
        if (!queries.isEmpty()) {
            int rows = queryVectors.stream().mapToInt(MultiVector::rows).max().orElse(0);
            float[] data = new float[queries.size() * rows * dim];
            long[] mask = new long[queries.size() * rows];
            for (int q = 0; q < queries.size(); q++) {
                MultiVector v = queryVectors.get(q);
                System.arraycopy(v.data(), 0, data, q * rows * dim, v.rows() * dim);
                Arrays.fill(mask, q * rows, q * rows + v.rows(), 1L);
            }
            writer.addFloat32("query_embeddings", new long[]{queries.size(), rows, dim}, data);
            writer.addInt64("query_attention_mask", new long[]{queries.size(), rows}, mask);
        }
        if (!queries.isEmpty() && !pages.isEmpty()) {
            float[] flat = new float[queries.size() * pages.size()];
            for (int q = 0; q < queries.size(); q++) {
                System.arraycopy(scores[q], 0, flat, q * pages.size(), pages.size());
            }
            writer.addFloat32("scores", new long[]{queries.size(), pages.size()}, flat);
        }
        writer.write(file);
    }

    private static String clip(String text, int width) {
        String oneLine = text.replace('\n', ' ');
        return oneLine.length() <= width ? oneLine : oneLine.substring(0, width - 1) + "…";
    }
}
