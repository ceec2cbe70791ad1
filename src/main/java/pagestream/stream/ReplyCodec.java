package pagestream.stream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import pagestream.store.SearchHit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Writes query replies: {@code {"query": "...", "results": [{"doc_id", "page", "score", "tenant", "metadata"}],
 * "took_ms": 4}} (highest score first, as the store returns them) or {@code {"error": {"code", "message"}}}.
 */
public final class ReplyCodec {

    private static final JsonFactory JSON = new JsonFactory();

    private ReplyCodec() {
    }

    public static byte[] results(String query, List<SearchHit> hits, long tookMs) {
        return write(json -> {
            json.writeStartObject();
            json.writeStringField("query", query);
            json.writeArrayFieldStart("results");
            for (SearchHit hit : hits) {
                json.writeStartObject();
                json.writeStringField("doc_id", hit.docId());
                json.writeNumberField("page", hit.page());
                json.writeNumberField("score", hit.score());
                json.writeStringField("tenant", hit.tenant());
                json.writeFieldName("metadata");
                if (hit.metadataJson() == null) {
                    json.writeNull();
                } else {
                    json.writeRawValue(hit.metadataJson()); // validated as a JSON object at ingestion
                }
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeNumberField("took_ms", tookMs);
            json.writeEndObject();
        });
    }

    public static byte[] error(Rejection rejection) {
        return write(json -> {
            json.writeStartObject();
            json.writeObjectFieldStart("error");
            json.writeStringField("code", rejection.reason());
            json.writeStringField("message", rejection.message());
            json.writeEndObject();
            json.writeEndObject();
        });
    }

    private interface JsonWriter {
        void write(JsonGenerator json) throws IOException;
    }

    private static byte[] write(JsonWriter writer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            writer.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException("writing a reply to memory failed", e);
        }
        return out.toByteArray();
    }
}
