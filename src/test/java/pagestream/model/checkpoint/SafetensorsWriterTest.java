package pagestream.model.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsWriterTest {

    @Test
    void roundTripsFloat32Int64AndMetadata(@TempDir Path dir) throws Exception {
        float[] embeddings = new float[3 * 70_000]; // spans several write chunks
        for (int i = 0; i < embeddings.length; i++) {
            embeddings[i] = (float) Math.sin(i) * 1e3f;
        }
        long[] ids = {2, 256, -1, Long.MAX_VALUE};
        Path file = dir.resolve("out/embeddings.safetensors");
        new SafetensorsWriter()
                .metadata("model", "vidore/colpali-v1.3")
                .addFloat32("page_embeddings", new long[] {3, 70_000}, embeddings)
                .addInt64("input_ids", new long[] {2, 2}, ids)
                .addFloat32("empty", new long[] {0, 128}, new float[0])
                .write(file);

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertThat(read.metadata()).containsExactly(Map.entry("model", "vidore/colpali-v1.3"));
            assertThat(read.names()).containsExactly("page_embeddings", "input_ids", "empty");
            assertThat(read.shape("page_embeddings")).containsExactly(3, 70_000);
            assertThat(read.floats("page_embeddings")).isEqualTo(embeddings);
            assertThat(read.longs("input_ids")).containsExactly(ids);
            assertThat(read.floats("empty")).isEmpty();
        }
        // header padded to 8 bytes like the reference writer; independent parse agrees
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLength % 8).isZero();
        assertThat(PlainSafetensors.read(file).get("page_embeddings").values()).isEqualTo(embeddings);
        try (var files = Files.list(file.getParent())) {
            assertThat(files).containsExactly(file); // no temporary file left behind
        }
    }

    @Test
    void rejectsWrongCountsAndDuplicateNames() {
        SafetensorsWriter writer = new SafetensorsWriter().addFloat32("a", new long[] {2}, new float[2]);
        assertThatThrownBy(() -> writer.addFloat32("b", new long[] {2, 3}, new float[5]))
                .hasMessageContaining("tensor 'b' has shape [2, 3] (6 elements) but 5 values");
        assertThatThrownBy(() -> writer.addFloat32("a", new long[] {1}, new float[1]))
                .hasMessageContaining("'a' is reserved or already added");
        assertThatThrownBy(() -> writer.addRaw("c", SafetensorsDtype.BF16, new long[] {3}, ByteBuffer.allocate(4)))
                .hasMessageContaining("needs 6 bytes, got 4");
    }
}
