package pagestream.model.checkpoint;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sharded checkpoints (index + shards) and files larger than 2 GiB (sparse, nothing big is written). */
class ShardedCheckpointTest {

    @Test
    void shardedCheckpointLoadsLikeTheSingleFile(@TempDir Path dir) throws Exception {
        Map<String, String> weightMap = TestCheckpoints.writeSharded(TestCheckpoints.TINY_A_BF16, dir, 3);
        assertThat(Map.copyOf(weightMap).values()).contains(TestCheckpoints.shardName(2, 3));
        Map<String, PlainSafetensors.Tensor> expected = PlainSafetensors.read(TestCheckpoints.TINY_A_BF16);
        try (Weights weights = Checkpoints.open(dir)) {
            assertThat(weights.names()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            for (String name : weights.names()) {
                assertThat(((SafetensorsWeights) weights).floats(name)).as(name)
                        .containsExactly(expected.get(name).values());
            }
            weights.checkAllUsed();
        }
    }

    /**
     * A 2.5 GB file (sparse: only the header and 64 bytes are written) whose second tensor starts beyond the 2 GiB
     * offset, where a single int-indexed mapping of the file could not reach.
     */
    @Test
    void readsTensorsBeyondTwoGibibytes(@TempDir Path dir) throws Exception {
        long padElements = 625_000_000L; // F32: 2.5e9 bytes of (sparse) zeros
        String name = "vlm.language_model.model.norm.weight";
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"padding\":{\"dtype\":\"F32\",\"shape\":[" + padElements + "],\"data_offsets\":[0,"
                + padElements * 4 + "]},"
                + "\"" + name + "\":{\"dtype\":\"BF16\",\"shape\":[32],\"data_offsets\":[" + padElements * 4 + ","
                + (padElements * 4 + 64) + "]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + json.length;
        Path file = dir.resolve("model.safetensors");
        ByteBuffer values = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 32; i++) {
            values.putShort((short) (0x3f80 + i)); // bf16 1.0, 1.0078125, ...
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + padElements * 4 + 64);
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length);
            raf.write(length.array());
            raf.write(json);
            raf.seek(dataStart + padElements * 4);
            raf.write(values.array());
        }
        assertThat(Files.size(file)).isGreaterThan(1L << 31);

        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertThat(st.info(name).fileOffset()).isGreaterThan(1L << 31);
            float[] read = st.floats(name);
            for (int i = 0; i < 32; i++) {
                assertThat(read[i]).isEqualTo(Float.intBitsToFloat((0x3f80 + i) << 16));
            }
            assertThatThrownBy(() -> st.floats("padding"))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("'padding' [625000000] F32")
                    .hasMessageContaining("above 2 GiB");
        }
        try (Weights weights = Checkpoints.open(dir); NDManager manager = NDManager.newBaseManager()) {
            float[] loaded = weights.load(name, manager, DataType.FLOAT32).toFloatArray();
            assertThat(loaded[31]).isEqualTo(Float.intBitsToFloat((0x3f80 + 31) << 16));
        }
    }
}
