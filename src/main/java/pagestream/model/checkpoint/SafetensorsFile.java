package pagestream.model.checkpoint;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped reader of one {@code .safetensors} file: 8-byte little-endian header length, a JSON header
 * ({@code name → {dtype, shape, data_offsets}} plus optional {@code __metadata__}), then the data section.
 *
 * <p>Every tensor is read through its own {@link FileChannel#map} window, so files larger than 2 GiB (5 GB shards
 * of real checkpoints) work; only a single tensor must stay under 2 GiB. The whole header is validated when the
 * file is opened — offsets inside the file, no overlaps or holes, byte length = shape × dtype size — so a corrupt
 * or truncated file fails with a message naming the file and key instead of reading garbage.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The reference implementation refuses headers above 100 MB; so do we (a real header is ~100 KB). */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Duplicate keys are refused: silently keeping the last of two entries would load the wrong bytes. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path path;
    private final FileChannel channel;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates {@code path}; throws {@link CheckpointException} naming the file on any defect. */
    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException("cannot open safetensors file " + path + ": " + e, e);
        }
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new CheckpointException("truncated safetensors file " + path + ": " + fileSize
                        + " bytes, less than the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) {
                throw new CheckpointException("corrupt safetensors header in " + path + ": header length "
                        + headerLength + " is not in (0, " + MAX_HEADER_BYTES + "]");
            }
            if (8 + headerLength > fileSize) {
                throw new CheckpointException("truncated safetensors file " + path + ": header length "
                        + headerLength + " exceeds the file size " + fileSize);
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            long dataStart = 8 + headerLength;
            Parsed parsed = parseHeader(path, new String(header.array(), StandardCharsets.UTF_8), dataStart,
                    fileSize - dataStart);
            return new SafetensorsFile(path, channel, parsed.tensors, parsed.metadata);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new CheckpointException("cannot read safetensors file " + path + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** Reads one tensor of a file as float32 (F32, F16, BF16) — for tests and tools. */
    public static float[] readFloats(Path file, String name) {
        try (SafetensorsFile f = open(file)) {
            return f.floats(name);
        }
    }

    /** Reads one tensor of a file as longs (I64, I32) — golden input ids, attention masks. */
    public static long[] readLongs(Path file, String name) {
        try (SafetensorsFile f = open(file)) {
            return f.longs(name);
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor's header entry; throws {@link CheckpointException} naming file and key if absent. */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new CheckpointException("tensor '" + name + "' not found in " + path);
        }
        return info;
    }

    public long[] shape(String name) {
        return info(name).shape();
    }

    /** The {@code __metadata__} string map (empty if absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Converts a F32/F16/BF16 tensor to a new float32 array (row-major, the stored order). */
    public float[] floats(String name) {
        TensorInfo info = info(name);
        requireFloat(info);
        ByteBuffer stored = bytes(info); // checks the size before the array is allocated
        float[] out = new float[elementsAsInt(info)];
        TensorConversion.toFloats(stored, info.dtype(), out);
        return out;
    }

    /** Converts an I64/I32 tensor to a new long array. */
    public long[] longs(String name) {
        TensorInfo info = info(name);
        if (!info.dtype().isInteger()) {
            throw new CheckpointException("tensor '" + name + "' in " + path + " has dtype " + info.dtype()
                    + "; integer tensors must be I64 or I32");
        }
        ByteBuffer stored = bytes(info);
        long[] out = new long[elementsAsInt(info)];
        TensorConversion.toLongs(stored, info.dtype(), out);
        return out;
    }

    /**
     * The stored bytes of a tensor (little-endian, read-only, a window mapped on the file). Valid after
     * {@link #close()}: a mapping does not depend on the channel staying open.
     */
    public ByteBuffer bytes(String name) {
        return bytes(info(name));
    }

    ByteBuffer bytes(TensorInfo info) {
        if (info.byteLength() > Integer.MAX_VALUE) {
            throw new CheckpointException("tensor '" + info.name() + "' " + info.describe() + " in " + path
                    + " is " + info.byteLength() + " bytes; tensors above 2 GiB are not supported");
        }
        if (info.byteLength() == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        try {
            // Reading a mapping past the end of a file that shrank since open (a download rewriting it) would
            // fault inside the copy loops; one size check per tensor turns that into a message instead.
            long size = channel.size();
            if (info.fileOffset() + info.byteLength() > size) {
                throw new CheckpointException("truncated safetensors file " + path + ": it shrank to " + size
                        + " bytes since it was opened; tensor '" + info.name() + "' " + info.describe()
                        + " ends at byte " + (info.fileOffset() + info.byteLength()));
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, info.fileOffset(), info.byteLength())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new CheckpointException("cannot map tensor '" + info.name() + "' of " + path + ": " + e, e);
        }
    }

    void requireFloat(TensorInfo info) {
        if (!info.dtype().isFloat()) {
            throw new CheckpointException("unsupported dtype " + info.dtype() + " of tensor '" + info.name()
                    + "' " + Arrays.toString(info.shape()) + " in " + path + "; weights must be F32, F16 or BF16");
        }
    }

    private int elementsAsInt(TensorInfo info) {
        long n = info.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new CheckpointException("tensor '" + info.name() + "' " + info.describe() + " in " + path
                    + " has " + n + " elements, too many for one Java array");
        }
        return (int) n;
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return path.toString();
    }

    private record Parsed(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    }

    private static Parsed parseHeader(Path path, String text, long dataStart, long dataLength) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw new CheckpointException("corrupt safetensors header in " + path + ": invalid JSON ("
                    + e.getOriginalMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException("corrupt safetensors header in " + path + ": not a JSON object");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) {
                readMetadata(path, field.getValue(), metadata);
            } else {
                tensors.put(field.getKey(), readEntry(path, field.getKey(), field.getValue(), dataStart, dataLength));
            }
        }
        checkLayout(path, tensors.values(), dataStart, dataLength);
        return new Parsed(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static void readMetadata(Path path, JsonNode node, Map<String, String> metadata) {
        if (!node.isObject()) {
            throw new CheckpointException("corrupt safetensors header in " + path + ": __metadata__ is not an object");
        }
        node.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw new CheckpointException("corrupt safetensors header in " + path + ": __metadata__ value '"
                        + e.getKey() + "' is not a string");
            }
            metadata.put(e.getKey(), e.getValue().textValue());
        });
    }

    private static TensorInfo readEntry(Path path, String name, JsonNode node, long dataStart, long dataLength) {
        String where = "tensor '" + name + "' in " + path;
        if (!node.isObject() || !node.path("dtype").isTextual() || !node.path("shape").isArray()
                || !node.path("data_offsets").isArray() || node.path("data_offsets").size() != 2) {
            throw new CheckpointException("corrupt safetensors header: " + where
                    + " needs dtype (string), shape (array) and data_offsets ([begin, end]); got " + node);
        }
        SafetensorsDtype dtype = SafetensorsDtype.parse(node.get("dtype").textValue());
        if (dtype == null) {
            throw new CheckpointException("unsupported dtype '" + node.get("dtype").textValue() + "' of " + where);
        }
        JsonNode shapeNode = node.get("shape");
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.longValue() < 0) {
                throw new CheckpointException("corrupt safetensors header: " + where + " has invalid shape " + shapeNode);
            }
            shape[i] = d.longValue();
            elements = multiplyOrFail(elements, shape[i], where, shapeNode);
        }
        JsonNode offsets = node.get("data_offsets");
        if (!offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw new CheckpointException("corrupt safetensors header: " + where + " has invalid data_offsets " + offsets);
        }
        long begin = offsets.get(0).longValue();
        long end = offsets.get(1).longValue();
        String described = Arrays.toString(shape) + " " + dtype;
        if (begin < 0 || end < begin) {
            throw new CheckpointException("corrupt safetensors header: " + where + " has data_offsets [" + begin
                    + ", " + end + "] out of order");
        }
        if (end > dataLength) {
            throw new CheckpointException("truncated safetensors file: tensor '" + name + "' " + described + " in "
                    + path + " needs data bytes [" + begin + ", " + end + ") but the data section has " + dataLength
                    + " bytes (offsets outside the file)");
        }
        long expected = multiplyOrFail(elements, dtype.byteSize(), where, shapeNode);
        if (end - begin != expected) {
            throw new CheckpointException("corrupt safetensors header: tensor '" + name + "' " + described + " in "
                    + path + " spans "
                    + (end - begin) + " bytes but shape × dtype size is " + expected);
        }
        return new TensorInfo(name, dtype, shape, dataStart + begin, end - begin);
    }

    private static long multiplyOrFail(long a, long b, String where, JsonNode shapeNode) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new CheckpointException("corrupt safetensors header: " + where + " shape " + shapeNode + " overflows");
        }
    }

    /** Tensors must tile the data section exactly: no overlap, no hole, nothing after the last one. */
    private static void checkLayout(Path path, Iterable<TensorInfo> entries, long dataStart, long dataLength) {
        List<TensorInfo> sorted = new ArrayList<>();
        entries.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(TensorInfo::fileOffset).thenComparingLong(TensorInfo::byteLength));
        long expectedStart = dataStart;
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.fileOffset() < expectedStart) {
                throw new CheckpointException("corrupt safetensors header in " + path + ": data of tensor '"
                        + t.name() + "' overlaps tensor '" + previous.name() + "'");
            }
            if (t.fileOffset() > expectedStart) {
                throw new CheckpointException("corrupt safetensors header in " + path + ": " + (t.fileOffset()
                        - expectedStart) + " unindexed bytes before tensor '" + t.name() + "'");
            }
            expectedStart = t.fileOffset() + t.byteLength();
            previous = t;
        }
        if (expectedStart != dataStart + dataLength) {
            throw new CheckpointException("corrupt safetensors header in " + path + ": "
                    + (dataStart + dataLength - expectedStart) + " bytes after the last tensor are not indexed");
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was written; a failed close of a read-only channel loses nothing
        }
    }
}
