package pagestream.stream;

import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import pagestream.model.processor.ImageDecoder;
import pagestream.model.processor.RgbImage;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The buffer's value format (it lives on in the changelog) and the dead letter made from a buffered page. */
class BufferedPageTest {

    private static final RgbImage IMAGE = new RgbImage(2, 1, new byte[] {(byte) 255, 0, 0, 0, (byte) 128, 7});
    private static final DecodedPage PAGE = new DecodedPage("doc", 3, "acme", "{\"k\":1}", "ab".repeat(32), IMAGE);

    @Test
    void roundTripsWithItsOrigin() {
        BufferedPage page = new BufferedPage(PAGE, 42L, new BufferedPage.Origin("pagestream.pages", 2, 77L, 1234L));
        var serde = BufferedPage.serde();
        BufferedPage back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", page));
        assertThat(back.origin()).isEqualTo(page.origin());
        assertThat(back.bufferedAtMs()).isEqualTo(42L);
        assertThat(back.page().docId()).isEqualTo("doc");
        assertThat(back.page().tenant()).isEqualTo("acme");
        assertThat(back.page().image().rgb()).isEqualTo(IMAGE.rgb());
    }

    @Test
    void readsFormatOneEntriesWrittenByTheEarlierRelease() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(1);
            out.writeLong(42L);
            writeString(out, "doc");
            out.writeInt(3);
            writeString(out, null);
            writeString(out, null);
            writeString(out, "ab".repeat(32));
            out.writeInt(2);
            out.writeInt(1);
            out.write(IMAGE.rgb());
        }
        BufferedPage page = BufferedPage.serde().deserializer().deserialize("t", bytes.toByteArray());
        assertThat(page.origin()).isNull();
        assertThat(page.page().page()).isEqualTo(3);
        assertThat(page.page().image().rgb()).isEqualTo(IMAGE.rgb());
    }

    @Test
    void aDeadLetteredPageIsAPublishablePngPageEventThatPointsAtItsOrigin() {
        BufferedPage page = new BufferedPage(PAGE, 42L, new BufferedPage.Origin("pagestream.pages", 2, 77L, 1234L));
        Record<byte[], byte[]> dead = DeadLetters.ofBufferedPage(page,
                new Rejection("store_rejected", "INVALID_ARGUMENT: bad point"), 999L);

        assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("doc");
        assertThat(dead.timestamp()).isEqualTo(1234L);
        assertThat(header(dead, "content-type")).isEqualTo("image/png");
        assertThat(header(dead, "page")).isEqualTo("3");
        assertThat(header(dead, "tenant")).isEqualTo("acme");
        assertThat(header(dead, "metadata")).isEqualTo("{\"k\":1}");
        assertThat(header(dead, DeadLetters.REASON)).isEqualTo("store_rejected");
        assertThat(header(dead, DeadLetters.CAUSE)).isEqualTo("INVALID_ARGUMENT: bad point");
        assertThat(header(dead, DeadLetters.TOPIC)).isEqualTo("pagestream.pages");
        assertThat(header(dead, DeadLetters.PARTITION)).isEqualTo("2");
        assertThat(header(dead, DeadLetters.OFFSET)).isEqualTo("77");
        assertThat(header(dead, DeadLetters.CONTENT_SHA256)).isEqualTo("ab".repeat(32));
        // The value decodes back to exactly the pixels the model saw.
        assertThat(new ImageDecoder(1_000_000).decode(dead.value()).rgb()).isEqualTo(IMAGE.rgb());
    }

    private static String header(Record<byte[], byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
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
}
