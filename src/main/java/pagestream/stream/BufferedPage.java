package pagestream.stream;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import pagestream.model.processor.RgbImage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A page waiting in the micro-batch buffer: the decoded page, the wall-clock time it was buffered (for the
 * {@code max-wait} deadline, which survives a restart because it is stored with the page) and where its event
 * came from (for a dead letter if the page later fails on its own; {@code null} for pages buffered by format 1).
 */
public record BufferedPage(DecodedPage page, long bufferedAtMs, Origin origin) {

    /** Format 2 added the origin; format 1 entries (written by an older release) are still read. */
    private static final int FORMAT_VERSION = 2;

    /** The page event's position in its input topic and its timestamp. */
    public record Origin(String topic, int partition, long offset, long timestamp) {
    }

    /** The buffer store's value serde: a versioned binary layout (the store's changelog outlives a release). */
    public static Serde<BufferedPage> serde() {
        return Serdes.serdeFrom(new BufferedPageSerializer(), new BufferedPageDeserializer());
    }

    private static final class BufferedPageSerializer implements Serializer<BufferedPage> {
        @Override
        public byte[] serialize(String topic, BufferedPage buffered) {
            if (buffered == null) {
                return null;
            }
            DecodedPage page = buffered.page();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(page.image().rgb().length + 512);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(FORMAT_VERSION);
                out.writeLong(buffered.bufferedAtMs());
                writeString(out, page.docId());
                out.writeInt(page.page());
                writeString(out, page.tenant());
                writeString(out, page.metadataJson());
                writeString(out, page.contentSha256());
                out.writeInt(page.image().width());
                out.writeInt(page.image().height());
                out.write(page.image().rgb());
                Origin origin = buffered.origin();
                out.writeBoolean(origin != null);
                if (origin != null) {
                    writeString(out, origin.topic());
                    out.writeInt(origin.partition());
                    out.writeLong(origin.offset());
                    out.writeLong(origin.timestamp());
                }
            } catch (IOException e) {
                throw new SerializationException("cannot serialise buffered page " + page.docId() + "#" + page.page(), e);
            }
            return bytes.toByteArray();
        }
    }

    private static final class BufferedPageDeserializer implements Deserializer<BufferedPage> {
        @Override
        public BufferedPage deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
                int version = in.readUnsignedByte();
                if (version < 1 || version > FORMAT_VERSION) {
                    throw new SerializationException("buffered page in " + topic + " has format version " + version
                            + ", this build reads 1.." + FORMAT_VERSION);
                }
                long bufferedAt = in.readLong();
                String docId = readString(in);
                int page = in.readInt();
                String tenant = readString(in);
                String metadata = readString(in);
                String sha256 = readString(in);
                int width = in.readInt();
                int height = in.readInt();
                byte[] rgb = in.readNBytes(Math.multiplyExact(Math.multiplyExact(width, height), 3));
                Origin origin = version >= 2 && in.readBoolean()
                        ? new Origin(readString(in), in.readInt(), in.readLong(), in.readLong()) : null;
                return new BufferedPage(new DecodedPage(docId, page, tenant, metadata, sha256,
                        new RgbImage(width, height, rgb)), bufferedAt, origin);
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("corrupt buffered page in " + topic + " (" + data.length + " bytes)", e);
            }
        }
    }

    private static void writeString(DataOutputStream out, String text) throws IOException {
        if (text == null) {
            out.writeInt(-1);
            return;
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        return length < 0 ? null : new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
