package pagestream.api.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressBarTest {

    @Test
    void lineShowsCountRateAndEta() {
        assertThat(ProgressBar.line(12, 40, "pages", 4.0))
                .isEqualTo("[#########.....................] 12/40 pages  3.00 pages/s  ETA 0:09");
        assertThat(ProgressBar.line(0, 5000, "pages", 0)).endsWith("0/5000 pages  0.00 pages/s  ETA ?");
        assertThat(ProgressBar.line(1, 5000, "pages", 1.0)).endsWith("ETA 1:23:19");
    }

    @Test
    void shortRunsPrintNothingLongRunsPrintLines() {
        AtomicLong now = new AtomicLong();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        ProgressBar quick = new ProgressBar("pages", 2, err, false, now::get);
        now.addAndGet(500_000_000L);
        quick.advance(2);
        quick.finish();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEmpty();

        ProgressBar slow = new ProgressBar("pages", 3, err, false, now::get);
        for (int i = 0; i < 3; i++) {
            now.addAndGet(11_000_000_000L);
            slow.advance(1);
        }
        slow.finish();
        assertThat(bytes.toString(StandardCharsets.UTF_8).lines())
                .containsExactly("[##########....................] 1/3 pages  0.09 pages/s  ETA 0:22",
                        "[####################..........] 2/3 pages  0.09 pages/s  ETA 0:11",
                        "[##############################] 3/3 pages  0.09 pages/s  ETA 0:00");
    }
}
