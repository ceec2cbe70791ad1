package pagestream.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A PEFT LoRA adapter ({@code adapter_config.json} + {@code adapter_model.safetensors}) merged into its base
 * checkpoint at load: {@code W' = W + scale · B · A} in fp32 with {@code scale = lora_alpha / r}
 * ({@code lora_alpha / sqrt(r)} with {@code use_rslora}). This is how {@code vidore/colpali-v1.3} is published over
 * {@code vidore/colpaligemma-3b-pt-448-base}.
 *
 * <p>Adapter keys are {@code base_model.model.<module>.lora_A.weight} ({@code [r, in]}) and
 * {@code ...lora_B.weight} ({@code [out, r]}); any other {@code base_model.model.<module>.<param>} key (a
 * {@code modules_to_save} module, a trained bias) replaces the base tensor. Module names go through
 * {@link CheckpointKeys} like any stored key. Merges are computed when a tensor is loaded, so the heap holds one
 * merged tensor at a time.
 */
final class LoraAdapter {

    static final String CONFIG_FILE = "adapter_config.json";
    static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final String LORA_A = ".lora_A.weight";
    private static final String LORA_B = ".lora_B.weight";
    private static final ObjectMapper JSON = new ObjectMapper();

    private LoraAdapter() {
    }

    private static final class Pair {
        TensorInfo a;
        TensorInfo b;
    }

    static Weights openMerged(Path dir, Function<String, Path> resolveBase) {
        Path configPath = dir.resolve(CONFIG_FILE);
        JsonNode config = readConfig(configPath);
        String where = "LoRA adapter " + configPath;
        if (!config.path("peft_type").asText("LORA").equals("LORA")) {
            throw new CheckpointException(where + ": peft_type " + config.get("peft_type") + " is not supported (LORA only)");
        }
        for (String flag : List.of("use_dora", "fan_in_fan_out")) {
            if (config.path(flag).asBoolean(false)) {
                throw new CheckpointException(where + ": " + flag + "=true is not supported");
            }
        }
        for (String pattern : List.of("rank_pattern", "alpha_pattern")) {
            if (!config.path(pattern).isMissingNode() && !config.path(pattern).isNull() && !config.path(pattern).isEmpty()) {
                throw new CheckpointException(where + ": per-module " + pattern + " is not supported");
            }
        }
        if (!config.path("r").canConvertToInt() || !config.path("r").isIntegralNumber() || config.path("r").intValue() <= 0) {
            throw new CheckpointException(where + ": r must be a positive integer, got " + config.get("r"));
        }
        if (!config.path("lora_alpha").isNumber()) {
            throw new CheckpointException(where + ": lora_alpha must be a number, got " + config.get("lora_alpha"));
        }
        int rank = config.get("r").intValue();
        double alpha = config.get("lora_alpha").doubleValue();
        float scale = (float) (config.path("use_rslora").asBoolean(false) ? alpha / Math.sqrt(rank) : alpha / rank);
        Pattern targets = targetPattern(where, config.path("target_modules"));

        String baseName = config.path("base_model_name_or_path").asText("");
        if (baseName.isEmpty()) {
            throw new CheckpointException(where + ": base_model_name_or_path is missing");
        }
        Path baseDir = resolveBase.apply(baseName);
        if (baseDir == null || !Files.isDirectory(baseDir)) {
            throw new CheckpointException(where + ": base checkpoint '" + baseName + "' resolved to " + baseDir
                    + ", which is not a directory (a hub id needs a resolver that downloads it, e.g. ModelSource)");
        }
        if (Files.exists(baseDir.resolve(CONFIG_FILE))) {
            throw new CheckpointException(where + ": base checkpoint " + baseDir + " is itself an adapter");
        }
        Path weightsPath = dir.resolve(WEIGHTS_FILE);
        if (!Files.exists(weightsPath)) {
            throw new CheckpointException(where + ": " + weightsPath + " is missing"
                    + (Files.exists(dir.resolve("adapter_model.bin")) ? " (pickle adapter_model.bin is not supported)" : ""));
        }

        SafetensorsWeights base = Checkpoints.openStored(baseDir);
        List<SafetensorsFile> files = new ArrayList<>(base.files());
        try {
            SafetensorsFile adapter = SafetensorsFile.open(weightsPath);
            files.add(adapter);
            Map<String, TensorSource> tensors = new TreeMap<>(base.tensors());
            Map<String, Pair> pairs = new TreeMap<>();
            for (String key : adapter.names()) {
                if (!key.startsWith(CheckpointKeys.PEFT_PREFIX)) {
                    throw new CheckpointException("tensor '" + key + "' of " + weightsPath + " is not a PEFT key ("
                            + CheckpointKeys.PEFT_PREFIX + "<module>...)");
                }
                String module = key.substring(CheckpointKeys.PEFT_PREFIX.length());
                if (module.endsWith(LORA_A)) {
                    pairs.computeIfAbsent(module.substring(0, module.length() - LORA_A.length()), m -> new Pair()).a =
                            adapter.info(key);
                } else if (module.endsWith(LORA_B)) {
                    pairs.computeIfAbsent(module.substring(0, module.length() - LORA_B.length()), m -> new Pair()).b =
                            adapter.info(key);
                } else if (module.contains(".lora_")) {
                    throw new CheckpointException("tensor '" + key + "' of " + weightsPath
                            + " is a LoRA variant this loader does not merge (only lora_A/lora_B of Linear layers)");
                } else {
                    replace(tensors, adapter, key, module);
                }
            }
            for (Map.Entry<String, Pair> e : pairs.entrySet()) {
                merge(tensors, adapter, e.getKey(), e.getValue(), rank, scale, targets);
            }
            return new SafetensorsWeights(dir + " (LoRA over " + baseDir + ")", tensors, files);
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** A full tensor in the adapter ({@code modules_to_save}, trained bias) takes the base tensor's place. */
    private static void replace(Map<String, TensorSource> tensors, SafetensorsFile adapter, String key, String module) {
        Optional<String> canonical = CheckpointKeys.canonical(module);
        if (canonical.isEmpty()) {
            return;
        }
        TensorSource replacement = new TensorSource.Stored(adapter, adapter.info(key));
        TensorSource original = tensors.get(canonical.get());
        if (original == null) {
            throw new CheckpointException("adapter tensor " + replacement.origin() + " replaces '" + canonical.get()
                    + "', which the base checkpoint does not have");
        }
        if (!Arrays.equals(original.shape(), replacement.shape())) {
            throw new CheckpointException("LoRA shape mismatch: adapter tensor " + replacement.origin()
                    + " replaces " + original.origin());
        }
        tensors.put(canonical.get(), replacement);
    }

    private static void merge(Map<String, TensorSource> tensors, SafetensorsFile adapter, String module, Pair pair,
            int rank, float scale, Pattern targets) {
        String prefix = CheckpointKeys.PEFT_PREFIX + module;
        if (pair.a == null || pair.b == null) {
            throw new CheckpointException("LoRA adapter " + adapter.path() + " has " + prefix
                    + (pair.a == null ? LORA_B + " but no " + LORA_A : LORA_A + " but no " + LORA_B));
        }
        if (targets != null && !targets.matcher(module).matches()) {
            throw new CheckpointException("LoRA adapter " + adapter.path() + " has weights for module '" + module
                    + "', which its target_modules " + targets.pattern() + " does not name");
        }
        String canonical = CheckpointKeys.canonical(module + ".weight").orElseThrow(() -> new CheckpointException(
                "LoRA adapter " + adapter.path() + " targets the tied LM head '" + module + "'"));
        TensorSource base = tensors.get(canonical);
        if (base == null) {
            throw new CheckpointException("LoRA adapter " + adapter.path() + " targets '" + module
                    + "', but the base checkpoint has no tensor '" + canonical + "'");
        }
        long[] w = base.shape();
        long[] a = pair.a.shape();
        long[] b = pair.b.shape();
        if (w.length != 2 || a.length != 2 || b.length != 2 || a[0] != rank || b[1] != rank || a[1] != w[1]
                || b[0] != w[0]) {
            throw new CheckpointException("LoRA shape mismatch for '" + module + "': base " + base.origin()
                    + ", lora_A " + pair.a.describe() + ", lora_B " + pair.b.describe() + " (r=" + rank
                    + "; expected lora_A [" + rank + ", in], lora_B [out, " + rank + "])");
        }
        adapter.requireFloat(pair.a);
        adapter.requireFloat(pair.b);
        tensors.put(canonical, new TensorSource.LoraMerged(base, adapter, pair.a, pair.b, rank, scale));
    }

    /**
     * PEFT's matching: a string is a regex the full module name must match; a list names modules by their last
     * components ({@code q_proj} matches {@code ...self_attn.q_proj}). Null when absent (nothing to check).
     */
    private static Pattern targetPattern(String where, JsonNode node) {
        if (node.isTextual()) {
            try {
                return Pattern.compile(node.textValue());
            } catch (PatternSyntaxException e) {
                throw new CheckpointException(where + ": target_modules is not a valid regex: " + e.getMessage(), e);
            }
        }
        if (node.isArray()) {
            List<String> names = new ArrayList<>();
            node.forEach(n -> names.add(Pattern.quote(n.asText())));
            return Pattern.compile("(.*\\.)?(" + String.join("|", names) + ")");
        }
        return null;
    }

    private static JsonNode readConfig(Path configPath) {
        try {
            JsonNode node = JSON.readTree(configPath.toFile());
            if (node == null || !node.isObject()) {
                throw new CheckpointException("LoRA adapter config " + configPath + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new CheckpointException("cannot read LoRA adapter config " + configPath + ": " + e.getMessage(), e);
        }
    }
}
