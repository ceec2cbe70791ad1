package pagestream.model.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes named tensors to a {@code .safetensors} file (the CLI's output format, and test checkpoints).
 *
 * <p>Tensors are laid out in the order they were added, the header is padded with spaces to a multiple of 8
 * bytes as the reference writer does, and the file is written to a temporary sibling and moved into place, so a
 * crash never leaves a half-written file under the final name. Arrays are referenced, not copied, until
 * {@link #write}.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK_ELEMENTS = 1 << 16;

    /** Stored data of one tensor, serialised little-endian when the file is written. */
    private interface Payload {
        long byteLength();

        void writeTo(FileChannel out) throws IOException;
    }

    private record Entry(SafetensorsDtype dtype, long[] shape, Payload payload) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a {@code __metadata__} string entry. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter addFloat32(String name, long[] shape, float[] values) {
        checkCount(name, shape, values.length);
        return put(name, SafetensorsDtype.F32, shape,
                chunked(values.length, 4, (chunk, from, n) -> chunk.asFloatBuffer().put(values, from, n)));
    }

    public SafetensorsWriter addInt64(String name, long[] shape, long[] values) {
        checkCount(name, shape, values.length);
        return put(name, SafetensorsDtype.I64, shape,
                chunked(values.length, 8, (chunk, from, n) -> chunk.asLongBuffer().put(values, from, n)));
    }

    /** Fills {@code chunk} (little-endian, at position 0) with elements {@code from .. from + n} of an array. */
    private interface ChunkFill {
        void fill(ByteBuffer chunk, int from, int n);
    }

    /** A payload of {@code count} array elements written through one reused buffer of CHUNK_ELEMENTS elements. */
    private static Payload chunked(int count, int elementBytes, ChunkFill fill) {
        return new Payload() {
            @Override
            public long byteLength() {
                return (long) count * elementBytes;
            }

            @Override
            public void writeTo(FileChannel out) throws IOException {
                ByteBuffer chunk = ByteBuffer.allocate(CHUNK_ELEMENTS * elementBytes).order(ByteOrder.LITTLE_ENDIAN);
                for (int done = 0; done < count; ) {
                    int n = Math.min(CHUNK_ELEMENTS, count - done);
                    chunk.clear();
                    fill.fill(chunk, done, n);
                    chunk.limit(n * elementBytes);
                    writeFully(out, chunk);
                    done += n;
                }
            }
        };
    }

    /**
     * Adds a tensor as already-encoded little-endian bytes of {@code dtype} (e.g. BF16 data copied from another
     * file); the bytes from the buffer's position to its limit are written.
     */
    public SafetensorsWriter addRaw(String name, SafetensorsDtype dtype, long[] shape, ByteBuffer littleEndianBytes) {
        ByteBuffer bytes = littleEndianBytes.duplicate();
        long elements = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (bytes.remaining() != elements * dtype.byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "' " + Arrays.toString(shape) + " " + dtype
                    + " needs " + elements * dtype.byteSize() + " bytes, got " + bytes.remaining());
        }
        return put(name, dtype, shape, new Payload() {
            @Override
            public long byteLength() {
                return bytes.remaining();
            }

            @Override
            public void writeTo(FileChannel out) throws IOException {
                writeFully(out, bytes.duplicate());
            }
        });
    }

    /** Writes the file (replacing {@code file} atomically where the file system allows). */
    public void write(Path file) {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry entry = e.getValue();
            ObjectNode node = header.putObject(e.getKey());
            node.put("dtype", entry.dtype().name());
            node.putArray("shape").addAll(Arrays.stream(entry.shape()).mapToObj(JSON.getNodeFactory()::numberNode).toList());
            long end = offset + entry.payload().byteLength();
            node.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(json);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        prefix.flip();
        Path dir = file.toAbsolutePath().getParent();
        Path temp = null;
        try {
            Files.createDirectories(dir);
            temp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(out, prefix);
                for (Entry entry : entries.values()) {
                    entry.payload().writeTo(out);
                }
                out.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the original error is the one to report
                }
            }
            throw new CheckpointException("cannot write safetensors file " + file + ": " + e, e);
        }
    }

    private SafetensorsWriter put(String name, SafetensorsDtype dtype, long[] shape, Payload payload) {
        if (name.equals("__metadata__") || entries.containsKey(name)) {
            throw new IllegalArgumentException("tensor name '" + name + "' is reserved or already added");
        }
        entries.put(name, new Entry(dtype, shape.clone(), payload));
        return this;
    }

    private static void checkCount(String name, long[] shape, int count) {
        long elements = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (elements != count) {
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(shape) + " ("
                    + elements + " elements) but " + count + " values");
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }
}
