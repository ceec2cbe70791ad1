package pagestream.model.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Builds test checkpoints from the golden tiny-a files with {@link SafetensorsWriter}. */
final class TestCheckpoints {

    static final Path TINY_A = GoldenCheckpointTest.TINY_A.resolve("model.safetensors");
    static final Path TINY_A_BF16 = GoldenCheckpointTest.TINY_A_BF16.resolve("model.safetensors");

    private TestCheckpoints() {
    }

    /** Rewrites {@code source} under new key names (bytes and dtype unchanged) as {@code target}. */
    static void copyRenamed(Path source, Path target, UnaryOperator<String> rename) {
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile in = SafetensorsFile.open(source)) {
            for (String key : in.names()) {
                TensorInfo info = in.info(key);
                writer.addRaw(rename.apply(key), info.dtype(), info.shape(), in.bytes(key));
            }
        }
        writer.write(target);
    }

    /** Splits {@code source} round-robin into {@code shards} files plus {@code model.safetensors.index.json}. */
    static Map<String, String> writeSharded(Path source, Path dir, int shards) throws IOException {
        List<SafetensorsWriter> writers = new ArrayList<>();
        for (int i = 0; i < shards; i++) {
            writers.add(new SafetensorsWriter().metadata("format", "pt"));
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        try (SafetensorsFile in = SafetensorsFile.open(source)) {
            int i = 0;
            for (String key : in.names()) {
                TensorInfo info = in.info(key);
                writers.get(i % shards).addRaw(key, info.dtype(), info.shape(), in.bytes(key));
                weightMap.put(key, shardName(i % shards, shards));
                i++;
            }
        }
        for (int i = 0; i < shards; i++) {
            writers.get(i).write(dir.resolve(shardName(i, shards)));
        }
        writeIndex(dir, weightMap);
        return weightMap;
    }

    static String shardName(int i, int shards) {
        return String.format("model-%05d-of-%05d.safetensors", i + 1, shards);
    }

    static void writeIndex(Path dir, Map<String, String> weightMap) throws IOException {
        StringBuilder json = new StringBuilder("{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");
        String separator = "";
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            json.append(separator).append('"').append(e.getKey()).append("\": \"").append(e.getValue()).append('"');
            separator = ", ";
        }
        Files.writeString(dir.resolve(Checkpoints.INDEX_FILE), json.append("}}").toString(), StandardCharsets.UTF_8);
    }

    /** Writes a raw safetensors file: an arbitrary header text and {@code dataBytes} zero bytes after it. */
    static Path rawFile(Path file, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8 + json.length + dataBytes)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json);
        Files.write(file, buf.array());
        return file;
    }

    /** Largest |actual - expected| (one assertion per tensor instead of one per element). */
    static double maxAbsDiff(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("length " + actual.length + " != " + expected.length);
        }
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            max = Math.max(max, Math.abs((double) actual[i] - expected[i]));
        }
        return max;
    }
}
