package pagestream.model.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every defect of a file or checkpoint directory fails with a {@link CheckpointException} naming what is wrong. */
class CheckpointErrorsTest {

    @TempDir
    Path dir;

    private Path file(String header, int dataBytes) throws Exception {
        return TestCheckpoints.rawFile(dir.resolve("bad.safetensors"), header, dataBytes);
    }

    private static void assertOpenFails(Path file, String... fragments) {
        var assertion = assertThatThrownBy(() -> SafetensorsFile.open(file).close())
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(file.toString());
        for (String fragment : fragments) {
            assertion.hasMessageContaining(fragment);
        }
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws Exception {
        Path f = Files.write(dir.resolve("short.safetensors"), new byte[5]);
        assertOpenFails(f, "truncated safetensors file", "5 bytes");
    }

    @Test
    void headerLengthBeyondTheFileOrNegative() throws Exception {
        Path f = dir.resolve("len.safetensors");
        Files.write(f, ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        assertOpenFails(f, "header length 1000 exceeds the file size 20");
        Files.write(f, ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());
        assertOpenFails(f, "corrupt safetensors header", "header length -1");
    }

    @Test
    void invalidJsonOrNotAnObject() throws Exception {
        assertOpenFails(file("{\"w\": {\"dtype\": ", 0), "invalid JSON");
        assertOpenFails(file("[1, 2]", 0), "not a JSON object");
        assertOpenFails(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
                + " \"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8),
                "invalid JSON", "Duplicate field 'w'");
        assertOpenFails(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [2]}}", 8), "'w'", "data_offsets");
        assertOpenFails(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", 8),
                "'w'", "invalid shape [-2]");
    }

    @Test
    void offsetsOutsideTheFile() throws Exception {
        assertOpenFails(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 8),
                "truncated safetensors file", "'w' [4] F32", "[0, 16)", "data section has 8 bytes");
    }

    @Test
    void overlappingOutOfOrderAndHoles() throws Exception {
        assertOpenFails(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [8, 24]}}", 24),
                "data of tensor 'b' overlaps tensor 'a'");
        assertOpenFails(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [16, 0]}}", 16),
                "'a'", "data_offsets [16, 0] out of order");
        assertOpenFails(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [16, 24]}}", 24),
                "8 unindexed bytes before tensor 'b'");
        assertOpenFails(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 16),
                "8 bytes after the last tensor");
    }

    @Test
    void byteLengthDifferentFromShapeTimesDtypeSize() throws Exception {
        assertOpenFails(file("{\"w\": {\"dtype\": \"BF16\", \"shape\": [3, 2], \"data_offsets\": [0, 16]}}", 16),
                "'w' [3, 2] BF16 in", "spans 16 bytes but shape × dtype size is 12");
    }

    @Test
    void truncatedRealCheckpoint() throws Exception {
        Path f = dir.resolve("model.safetensors");
        Files.copy(TestCheckpoints.TINY_A, f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() - 100);
        }
        assertThatThrownBy(() -> Checkpoints.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("truncated safetensors file")
                .hasMessageContaining(f.toString())
                .hasMessageContaining("offsets outside the file");
    }

    @Test
    void fileTruncatedAfterItWasOpened() throws Exception {
        Path f = dir.resolve("model.safetensors");
        Files.copy(TestCheckpoints.TINY_A, f);
        try (Weights weights = Checkpoints.open(dir)) {
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(raf.length() / 2);
            }
            SafetensorsWeights stored = (SafetensorsWeights) weights;
            // tensors in the lost half fail with a message; none faults inside the copy loops
            assertThatThrownBy(() -> weights.names().forEach(stored::floats))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("shrank to")
                    .hasMessageContaining(f.toString());
        }
    }

    @Test
    void unsupportedDtypes() throws Exception {
        assertOpenFails(file("{\"w\": {\"dtype\": \"Q4_K\", \"shape\": [2], \"data_offsets\": [0, 1]}}", 1),
                "unsupported dtype 'Q4_K' of tensor 'w'");
        Path f64 = TestCheckpoints.rawFile(dir.resolve("model.safetensors"),
                "{\"vlm.language_model.model.norm.weight\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [0, 16]}}", 16);
        assertThatThrownBy(() -> Checkpoints.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("unsupported dtype F64 of tensor 'vlm.language_model.model.norm.weight' [2]")
                .hasMessageContaining(f64.toString());
        try (SafetensorsFile golden = SafetensorsFile.open(GoldenCheckpointTest.TINY_A.resolve("golden.safetensors"))) {
            assertThatThrownBy(() -> golden.floats("image_input_ids"))
                    .hasMessageContaining("unsupported dtype I64 of tensor 'image_input_ids' [2, 24]");
            assertThatThrownBy(() -> golden.longs("image_embeddings"))
                    .hasMessageContaining("'image_embeddings'").hasMessageContaining("I64 or I32");
            assertThatThrownBy(() -> golden.floats("no_such_tensor"))
                    .hasMessageContaining("tensor 'no_such_tensor' not found in");
        }
    }

    @Test
    void keyPresentInTwoShards() throws Exception {
        Map<String, String> weightMap = TestCheckpoints.writeSharded(TestCheckpoints.TINY_A, dir, 2);
        String key = "embedding_proj_layer.bias";
        String other = weightMap.get(key).equals(TestCheckpoints.shardName(0, 2))
                ? TestCheckpoints.shardName(1, 2) : TestCheckpoints.shardName(0, 2);
        SafetensorsWriter duplicate = new SafetensorsWriter();
        try (SafetensorsFile shard = SafetensorsFile.open(dir.resolve(other))) {
            for (String k : shard.names()) {
                duplicate.addRaw(k, shard.info(k).dtype(), shard.shape(k), shard.bytes(k));
            }
        }
        duplicate.addFloat32(key, new long[] {16}, new float[16]).write(dir.resolve(other));
        assertThatThrownBy(() -> Checkpoints.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tensor '" + key + "' is present in two shards")
                .hasMessageContaining(TestCheckpoints.shardName(0, 2))
                .hasMessageContaining(TestCheckpoints.shardName(1, 2));
    }

    @Test
    void indexProblems() throws Exception {
        Map<String, String> weightMap = TestCheckpoints.writeSharded(TestCheckpoints.TINY_A, dir, 2);
        Files.delete(dir.resolve(TestCheckpoints.shardName(1, 2)));
        assertThatThrownBy(() -> Checkpoints.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("points to missing shard '" + TestCheckpoints.shardName(1, 2) + "'");

        TestCheckpoints.writeSharded(TestCheckpoints.TINY_A, dir, 2);
        Map<String, String> moved = new java.util.LinkedHashMap<>(weightMap);
        String key = "embedding_proj_layer.weight";
        moved.put(key, moved.get(key).equals(TestCheckpoints.shardName(0, 2))
                ? TestCheckpoints.shardName(1, 2) : TestCheckpoints.shardName(0, 2));
        TestCheckpoints.writeIndex(dir, moved);
        assertThatThrownBy(() -> Checkpoints.open(dir))
                .hasMessageContaining("maps tensor '" + key + "' to shard")
                .hasMessageContaining("which does not contain it");

        moved.remove(key);
        TestCheckpoints.writeIndex(dir, moved);
        assertThatThrownBy(() -> Checkpoints.open(dir))
                .hasMessageContaining("tensor '" + key + "' of shard")
                .hasMessageContaining("is not listed in the weight_map");

        Files.writeString(dir.resolve(Checkpoints.INDEX_FILE), "{\"weight_map\": ");
        assertThatThrownBy(() -> Checkpoints.open(dir)).hasMessageContaining("cannot read checkpoint index");
        Files.writeString(dir.resolve(Checkpoints.INDEX_FILE), "{\"metadata\": {}}");
        assertThatThrownBy(() -> Checkpoints.open(dir)).hasMessageContaining("has no weight_map object");
    }

    @Test
    void twoLayoutsMappingToOneNameAndMissingCheckpoints() throws Exception {
        TestCheckpoints.copyRenamed(TestCheckpoints.TINY_A, dir.resolve("model.safetensors"),
                k -> k.equals("embedding_proj_layer.bias") ? "custom_text_proj.bias" : k);
        // the renamed copy alone is fine; add the legacy name too
        SafetensorsWriter both = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            for (String k : f.names()) {
                both.addRaw(k, f.info(k).dtype(), f.shape(k), f.bytes(k));
            }
        }
        both.addFloat32("embedding_proj_layer.bias", new long[] {16}, new float[16]).write(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> Checkpoints.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("'custom_text_proj.bias' and 'embedding_proj_layer.bias' both map to "
                        + "'embedding_proj_layer.bias'");

        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> Checkpoints.open(empty))
                .hasMessageContaining("no checkpoint in " + empty)
                .hasMessageContaining("model.safetensors");
        assertThatThrownBy(() -> Checkpoints.open(dir.resolve("absent")))
                .hasMessageContaining("does not exist");
    }
}
