package pagestream.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Opens a checkpoint directory as {@link Weights} under canonical names, whatever its layout:
 * <ul>
 *   <li>{@code model.safetensors} — one file;</li>
 *   <li>{@code model.safetensors.index.json} — shards listed in its {@code weight_map};</li>
 *   <li>{@code adapter_config.json} + {@code adapter_model.safetensors} — a PEFT LoRA adapter, merged at load
 *       into the base checkpoint named by {@code base_model_name_or_path}.</li>
 * </ul>
 * Keys are renamed by {@link CheckpointKeys}; tensors stay memory-mapped until {@link Weights#load} converts them.
 */
public final class Checkpoints {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoints() {
    }

    /**
     * Opens {@code dir}. An adapter's base must then be a local directory: {@code base_model_name_or_path} as an
     * absolute path or relative to {@code dir}.
     */
    public static Weights open(Path dir) {
        return open(dir, name -> dir.resolve(name));
    }

    /**
     * Opens {@code dir}, resolving an adapter's {@code base_model_name_or_path} (a hub id or a path) to a local
     * checkpoint directory with {@code resolveBase}.
     */
    public static Weights open(Path dir, Function<String, Path> resolveBase) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException("checkpoint directory " + dir + " does not exist or is not a directory");
        }
        if (Files.exists(dir.resolve(LoraAdapter.CONFIG_FILE))) {
            return LoraAdapter.openMerged(dir, resolveBase);
        }
        return openStored(dir);
    }

    /**
     * The base checkpoint an adapter directory names ({@code base_model_name_or_path} of its
     * {@code adapter_config.json}); empty for a full checkpoint.
     */
    public static Optional<String> adapterBaseName(Path dir) {
        Path file = dir.resolve(LoraAdapter.CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        String base;
        try {
            base = JSON.readTree(file.toFile()).path("base_model_name_or_path").asText("");
        } catch (IOException e) {
            throw new CheckpointException(file + " is not readable JSON: " + e.getMessage(), e);
        }
        if (base.isBlank()) {
            throw new CheckpointException(file + ": base_model_name_or_path is missing");
        }
        return Optional.of(base);
    }

    /** The tensors stored in {@code dir} (one file or shards), without adapters. */
    static SafetensorsWeights openStored(Path dir) {
        Path index = dir.resolve(INDEX_FILE);
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.exists(index)) {
            return openSharded(dir, index);
        }
        if (Files.exists(single)) {
            List<SafetensorsFile> files = new ArrayList<>();
            try {
                files.add(SafetensorsFile.open(single));
                return new SafetensorsWeights(dir.toString(), canonicalTensors(files), files);
            } catch (RuntimeException e) {
                files.forEach(SafetensorsFile::close);
                throw e;
            }
        }
        throw new CheckpointException("no checkpoint in " + dir + ": expected " + SINGLE_FILE + ", " + INDEX_FILE
                + " or " + LoraAdapter.CONFIG_FILE
                + (Files.exists(dir.resolve("pytorch_model.bin")) ? " (pickle .bin checkpoints are not supported)" : ""));
    }

    private static SafetensorsWeights openSharded(Path dir, Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Set<String> shardNames = new LinkedHashSet<>(weightMap.values());
        Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
        try {
            Path root = dir.toAbsolutePath().normalize();
            for (String shard : shardNames) {
                Path file = root.resolve(shard).normalize();
                if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                    throw new CheckpointException("index " + index + " points to missing shard '" + shard + "'");
                }
                byShard.put(shard, SafetensorsFile.open(file));
            }
            for (SafetensorsFile file : byShard.values()) {
                for (String key : file.names()) {
                    if (!weightMap.containsKey(key)) {
                        throw new CheckpointException("tensor '" + key + "' of shard " + file.path()
                                + " is not listed in the weight_map of " + index);
                    }
                }
            }
            List<SafetensorsFile> files = List.copyOf(byShard.values());
            // checked before the index entries: a duplicated key is the more telling message
            Map<String, TensorSource> tensors = canonicalTensors(files);
            weightMap.forEach((key, shard) -> {
                if (!byShard.get(shard).contains(key)) {
                    throw new CheckpointException("index " + index + " maps tensor '" + key + "' to shard '" + shard
                            + "', which does not contain it");
                }
            });
            return new SafetensorsWeights(dir.toString(), tensors, files);
        } catch (RuntimeException e) {
            byShard.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new CheckpointException("cannot read checkpoint index " + index + ": " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new CheckpointException("checkpoint index " + index + " has no weight_map object");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new CheckpointException("checkpoint index " + index + ": weight_map entry '" + e.getKey()
                        + "' is not a file name");
            }
            weightMap.put(e.getKey(), e.getValue().textValue());
        }
        return weightMap;
    }

    /**
     * Canonical name → stored tensor over all files. A key in two files, or two keys of different layouts that
     * map to one canonical name, is an error: silently picking one would load the wrong weights.
     */
    static Map<String, TensorSource> canonicalTensors(List<SafetensorsFile> files) {
        Map<String, TensorSource> tensors = new TreeMap<>();
        Map<String, String> storedKeyOf = new LinkedHashMap<>();
        for (SafetensorsFile file : files) {
            for (String key : file.names()) {
                Optional<String> canonical = CheckpointKeys.canonical(key);
                if (canonical.isEmpty()) {
                    continue; // tied LM head
                }
                TensorSource source = new TensorSource.Stored(file, file.info(key));
                TensorSource previous = tensors.put(canonical.get(), source);
                if (previous != null) {
                    String previousKey = storedKeyOf.get(canonical.get());
                    throw new CheckpointException(previousKey.equals(key)
                            ? "tensor '" + key + "' is present in two shards: " + previous.origin() + " and "
                                    + source.origin()
                            : "tensors '" + previousKey + "' and '" + key + "' both map to '" + canonical.get()
                                    + "' (mixed checkpoint layouts?): " + previous.origin() + ", " + source.origin());
                }
                storedKeyOf.put(canonical.get(), key);
            }
        }
        return tensors;
    }
}
