package pagestream.model.hub;

import pagestream.model.checkpoint.CheckpointException;
import pagestream.model.checkpoint.Checkpoints;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/** Which files of a model repository PageStream needs, and whether a directory holds a whole checkpoint. */
final class CheckpointFiles {

    static final String CONFIG = "config.json";
    static final String ADAPTER_CONFIG = "adapter_config.json";
    private static final Set<String> METADATA = Set.of(CONFIG, "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "preprocessor_config.json", ADAPTER_CONFIG);
    private static final String WEIGHTS = ".safetensors";
    private static final String INDEX = ".safetensors.index.json";

    private CheckpointFiles() {
    }

    /** Top-level configuration, tokenizer and safetensors files; not pickles, not sub-folders (ONNX, ...). */
    static boolean wanted(String filename) {
        return !filename.contains("/")
                && (METADATA.contains(filename) || filename.endsWith(WEIGHTS) || filename.endsWith(INDEX));
    }

    static boolean isWeights(String filename) {
        return filename.endsWith(WEIGHTS);
    }

    /**
     * Download order: small files, then the shard index, then the weights. A snapshot entry only appears once its
     * file is whole, so when every weight file is present everything before it is too ({@link #isComplete}).
     */
    static List<String> inDownloadOrder(List<String> repoFiles) {
        return repoFiles.stream().filter(CheckpointFiles::wanted)
                .sorted(Comparator.comparingInt(CheckpointFiles::rank).thenComparing(Comparator.naturalOrder()))
                .toList();
    }

    private static int rank(String filename) {
        return filename.endsWith(INDEX) ? 1 : isWeights(filename) ? 2 : 0;
    }

    /** A model config (or adapter config) and every weight file: all shards the index names, else one file. */
    static boolean isComplete(Path dir) {
        if (!Files.isRegularFile(dir.resolve(CONFIG)) && !Files.isRegularFile(dir.resolve(ADAPTER_CONFIG))) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> entries = files.toList();
            Optional<Path> index = entries.stream().filter(p -> p.getFileName().toString().endsWith(INDEX)).findFirst();
            if (index.isPresent()) {
                JsonNode weightMap = new ObjectMapper().readTree(index.get().toFile()).path("weight_map");
                for (JsonNode shard : (Iterable<JsonNode>) () -> weightMap.elements()) {
                    if (!Files.isRegularFile(dir.resolve(shard.asText()))) {
                        return false;
                    }
                }
                return weightMap.size() > 0;
            }
            return entries.stream().anyMatch(p -> isWeights(p.getFileName().toString()) && Files.isRegularFile(p));
        } catch (IOException e) {
            return false;
        }
    }

    /** The base model a LoRA adapter applies to ({@code base_model_name_or_path} of {@code adapter_config.json}). */
    static Optional<String> adapterBase(Path dir) throws IOException {
        try {
            return Checkpoints.adapterBaseName(dir);
        } catch (CheckpointException e) {
            throw new HubException(e.getMessage(), e);
        }
    }
}
