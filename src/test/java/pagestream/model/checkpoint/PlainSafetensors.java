package pagestream.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An independent, deliberately naive reader for tests: whole file in memory, element by element, no code shared
 * with {@link SafetensorsFile}.
 */
final class PlainSafetensors {

    record Tensor(String dtype, long[] shape, float[] values) {
    }

    private PlainSafetensors() {
    }

    static Map<String, Tensor> read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) buf.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(all, 8, n, StandardCharsets.UTF_8));
        Map<String, Tensor> out = new LinkedHashMap<>();
        header.fields().forEachRemaining(e -> {
            if (e.getKey().equals("__metadata__")) {
                return;
            }
            JsonNode t = e.getValue();
            String dtype = t.get("dtype").asText();
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.get("shape").get(i).asLong();
            }
            int begin = 8 + n + t.get("data_offsets").get(0).asInt();
            int end = 8 + n + t.get("data_offsets").get(1).asInt();
            if (!dtype.equals("F32") && !dtype.equals("BF16")) {
                out.put(e.getKey(), new Tensor(dtype, shape, null)); // only float values are decoded
                return;
            }
            int size = dtype.equals("F32") ? 4 : 2;
            float[] values = new float[(end - begin) / size];
            for (int i = 0; i < values.length; i++) {
                int at = begin + i * size;
                values[i] = switch (dtype) {
                    case "F32" -> buf.getFloat(at);
                    case "BF16" -> Float.intBitsToFloat((buf.getShort(at) & 0xffff) << 16);
                    default -> throw new IllegalArgumentException(dtype);
                };
            }
            out.put(e.getKey(), new Tensor(dtype, shape, values));
        });
        return out;
    }
}
