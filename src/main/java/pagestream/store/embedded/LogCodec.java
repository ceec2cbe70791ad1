package pagestream.store.embedded;

import pagestream.model.MultiVector;
import pagestream.store.PagePoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Payloads of the store log's records (framing and CRCs are {@link StoreLog}'s). Little-endian; strings are an
 * int byte length (-1 for null) then UTF-8. Two kinds:
 * <pre>
 *   UPSERT  : type=1, int count, count × point
 *   point   : long idMsb, long idLsb, str docId, int page, str tenant, str metadataJson, str contentSha256,
 *             str modelId, long ingestedAtSeconds, int ingestedAtNanos (-1: no time), int rows, int dim,
 *             rows×dim float32
 *   DELETE  : type=2, str docId, str tenant (null: every tenant)
 * </pre>
 */
final class LogCodec {

    static final byte UPSERT = 1;
    static final byte DELETE = 2;

    sealed interface Entry permits Upsert, Delete {
    }

    record Upsert(List<PagePoint> points) implements Entry {
    }

    record Delete(String docId, String tenant) implements Entry {
    }

    private LogCodec() {
    }

    static int encodedSize(PagePoint p) {
        return 16 + str(p.docId()) + 4 + str(p.tenant()) + str(p.metadataJson()) + str(p.contentSha256())
                + str(p.modelId()) + 12 + 8 + 4 * p.vectors().data().length;
    }

    static ByteBuffer upsert(List<PagePoint> points) {
        long size = 5;
        for (PagePoint p : points) {
            size += encodedSize(p);
        }
        if (size > StoreLog.MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("upsert record of " + size + " bytes exceeds " + StoreLog.MAX_RECORD_BYTES);
        }
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(UPSERT).putInt(points.size());
        for (PagePoint p : points) {
            b.putLong(p.id().getMostSignificantBits()).putLong(p.id().getLeastSignificantBits());
            putString(b, p.docId());
            b.putInt(p.page());
            putString(b, p.tenant());
            putString(b, p.metadataJson());
            putString(b, p.contentSha256());
            putString(b, p.modelId());
            if (p.ingestedAt() == null) {
                b.putLong(0).putInt(-1);
            } else {
                b.putLong(p.ingestedAt().getEpochSecond()).putInt(p.ingestedAt().getNano());
            }
            b.putInt(p.vectors().rows()).putInt(p.vectors().dim());
            b.asFloatBuffer().put(p.vectors().data());
            b.position(b.position() + 4 * p.vectors().data().length);
        }
        return b.flip();
    }

    static ByteBuffer delete(String docId, String tenant) {
        ByteBuffer b = ByteBuffer.allocate(1 + str(docId) + str(tenant)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(DELETE);
        putString(b, docId);
        putString(b, tenant);
        return b.flip();
    }

    /** Decodes a payload whose CRC already matched; a malformed one is a bug or a foreign file. */
    static Entry decode(ByteBuffer b) {
        b.order(ByteOrder.LITTLE_ENDIAN);
        byte type = b.get();
        switch (type) {
            case UPSERT -> {
                int count = b.getInt();
                List<PagePoint> points = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    UUID id = new UUID(b.getLong(), b.getLong());
                    String docId = getString(b);
                    int page = b.getInt();
                    String tenant = getString(b);
                    String metadata = getString(b);
                    String sha = getString(b);
                    String model = getString(b);
                    long seconds = b.getLong();
                    int nanos = b.getInt();
                    int rows = b.getInt();
                    int dim = b.getInt();
                    float[] data = new float[Math.multiplyExact(rows, dim)];
                    b.asFloatBuffer().get(data);
                    b.position(b.position() + 4 * data.length);
                    points.add(new PagePoint(id, docId, page, tenant, metadata, sha, model,
                            nanos < 0 ? null : Instant.ofEpochSecond(seconds, nanos), new MultiVector(rows, dim, data)));
                }
                return new Upsert(points);
            }
            case DELETE -> {
                return new Delete(getString(b), getString(b));
            }
            default -> throw new IllegalStateException("unknown record type " + type);
        }
    }

    private static int str(String s) {
        return 4 + (s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length);
    }

    private static void putString(ByteBuffer b, String s) {
        if (s == null) {
            b.putInt(-1);
            return;
        }
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.putInt(bytes.length).put(bytes);
    }

    private static String getString(ByteBuffer b) {
        int length = b.getInt();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
