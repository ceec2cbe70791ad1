package pagestream.model.processor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Reads int64 tensors out of a golden {@code .safetensors} test resource (header JSON + little-endian data). */
final class GoldenTensors {

    private final JsonNode header;
    private final ByteBuffer data;

    private GoldenTensors(JsonNode header, ByteBuffer data) {
        this.header = header;
        this.data = data;
    }

    static GoldenTensors load(String resource) throws IOException {
        byte[] bytes;
        try (InputStream in = GoldenTensors.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing test resource " + resource);
            }
            bytes = in.readAllBytes();
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = Math.toIntExact(buffer.getLong(0));
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        ByteBuffer data = ByteBuffer.wrap(bytes, 8 + headerLength, bytes.length - 8 - headerLength).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        return new GoldenTensors(header, data);
    }

    int[] shape(String name) {
        JsonNode shape = entry(name).get("shape");
        int[] dims = new int[shape.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = shape.get(i).asInt();
        }
        return dims;
    }

    long[] int64(String name) {
        JsonNode entry = entry(name);
        if (!"I64".equals(entry.get("dtype").asText())) {
            throw new IllegalArgumentException(name + " is " + entry.get("dtype") + ", not I64");
        }
        int begin = entry.get("data_offsets").get(0).asInt();
        int end = entry.get("data_offsets").get(1).asInt();
        long[] values = new long[(end - begin) / 8];
        for (int i = 0; i < values.length; i++) {
            values[i] = data.getLong(begin + 8 * i);
        }
        return values;
    }

    private JsonNode entry(String name) {
        JsonNode entry = header.get(name);
        if (entry == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        return entry;
    }
}
