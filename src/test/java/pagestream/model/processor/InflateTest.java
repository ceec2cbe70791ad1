package pagestream.model.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import org.junit.jupiter.api.Test;

/** {@link Inflate} against the JDK's zlib {@link Deflater}: every block type, level and strategy, and bad input. */
class InflateTest {

    private static final int[] LEVELS = {0, 1, 6, 9};
    private static final int[] STRATEGIES = {Deflater.DEFAULT_STRATEGY, Deflater.FILTERED, Deflater.HUFFMAN_ONLY};

    @Test
    void reproducesWhatZlibCompressedForEveryLevelStrategyAndKindOfData() throws Exception {
        Random random = new Random(1);
        for (int n = 0; n < 120; n++) {
            byte[] data = sample(random, n % 6, n < 30 ? random.nextInt(300) : random.nextInt(200_000));
            int level = LEVELS[n % LEVELS.length];
            int strategy = STRATEGIES[(n / LEVELS.length) % STRATEGIES.length];
            byte[] zlib = deflate(data, level, strategy, n % 5 == 0);

            byte[] out = new byte[data.length];
            Inflate.zlib(zlib, 0, zlib.length, out);

            assertThat(out).as("sample %d: %d bytes, level %d, strategy %d", n, data.length, level, strategy)
                    .isEqualTo(data);
        }
    }

    @Test
    void aWrongChecksumIsCorrupt() {
        byte[] data = sample(new Random(6), 4, 10_000);
        byte[] zlib = deflate(data, 6, Deflater.DEFAULT_STRATEGY, false);
        zlib[zlib.length - 1] ^= 1;

        assertThatThrownBy(() -> Inflate.zlib(zlib, 0, zlib.length, new byte[data.length]))
                .isInstanceOf(Inflate.Corrupt.class).hasMessageContaining("incorrect data check");
    }

    @Test
    void stopsWhenTheOutputIsFullAndReadsAStreamAtAnOffset() throws Exception {
        byte[] data = sample(new Random(2), 4, 50_000);
        byte[] zlib = deflate(data, 9, Deflater.DEFAULT_STRATEGY, false);
        byte[] framed = new byte[zlib.length + 10];
        System.arraycopy(zlib, 0, framed, 7, zlib.length);

        byte[] prefix = new byte[12_345];
        Inflate.zlib(framed, 7, zlib.length, prefix);

        assertThat(prefix).isEqualTo(Arrays.copyOf(data, prefix.length));
    }

    @Test
    void truncatedStreamsAndShortDataAreTruncated() throws Exception {
        byte[] data = sample(new Random(3), 5, 80_000);
        for (int level : LEVELS) {
            byte[] zlib = deflate(data, level, Deflater.DEFAULT_STRATEGY, false);
            for (int cut : new int[] {0, 1, 2, 3, zlib.length / 3, zlib.length - 7}) {
                assertThatThrownBy(() -> Inflate.zlib(zlib, 0, cut, new byte[data.length]))
                        .as("level %d cut at %d of %d", level, cut, zlib.length)
                        .isInstanceOf(Inflate.Truncated.class);
            }
            // the whole stream, but more output wanted than it holds: the final block ends first
            assertThatThrownBy(() -> Inflate.zlib(zlib, 0, zlib.length, new byte[data.length + 1]))
                    .isInstanceOf(Inflate.Truncated.class);
        }
    }

    @Test
    void badHeadersAreCorrupt() {
        byte[] zlib = deflate(new byte[100], 6, Deflater.DEFAULT_STRATEGY, false);
        byte[] badMethod = zlib.clone();
        badMethod[0] = 0x79;
        byte[] badCheck = zlib.clone();
        badCheck[1] ^= 1;
        byte[] dictionary = {0x78, (byte) 0xBB, 0, 0, 0, 0};

        for (byte[] bad : new byte[][] {badMethod, badCheck, dictionary}) {
            assertThatThrownBy(() -> Inflate.zlib(bad, 0, bad.length, new byte[100]))
                    .isInstanceOf(Inflate.Corrupt.class);
        }
    }

    /**
     * Damaged streams (flipped bytes anywhere) end as zlib ends them when asked for the same number of bytes:
     * the same bytes, or corrupt, or truncated — and never with another exception or a hang.
     */
    @Test
    void damagedStreamsEndAsZlibEndsThem() {
        Random random = new Random(4);
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int n = 0; n < 3000; n++) {
            byte[] data = sample(random, n % 6, 1 + random.nextInt(4000));
            byte[] zlib = deflate(data, LEVELS[n % LEVELS.length], STRATEGIES[n % STRATEGIES.length], false);
            for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                zlib[random.nextInt(zlib.length)] ^= (byte) (1 + random.nextInt(255));
            }
            byte[] ours = new byte[data.length];
            byte[] theirs = new byte[data.length];

            String outcome = outcome(() -> Inflate.zlib(zlib, 0, zlib.length, ours));

            assertThat(outcome).as("stream %d", n).isEqualTo(zlibOutcome(zlib, theirs));
            if (outcome.equals("ok")) {
                assertThat(ours).as("stream %d", n).isEqualTo(theirs);
            }
            outcomes.merge(outcome, 1, Integer::sum);
        }
        assertThat(outcomes).as("every outcome occurs").containsKeys("ok", "corrupt", "truncated");
    }

    private interface Decoding {
        void run() throws Inflate.Corrupt, Inflate.Truncated;
    }

    private static String outcome(Decoding decoding) {
        try {
            decoding.run();
            return "ok";
        } catch (Inflate.Corrupt e) {
            return "corrupt";
        } catch (Inflate.Truncated e) {
            return "truncated";
        }
    }

    /** What java.util.zip (zlib) makes of the stream when asked for exactly {@code out.length} bytes. */
    private static String zlibOutcome(byte[] zlib, byte[] out) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(zlib);
            int filled = 0;
            while (filled < out.length) {
                int n = inflater.inflate(out, filled, out.length - filled);
                filled += n;
                if (inflater.needsDictionary()) {
                    return "corrupt"; // zlib only reports the need; PNG has no dictionary to give it
                }
                if (n == 0 && (inflater.finished() || inflater.needsInput())) {
                    return "truncated";
                }
            }
            return "ok";
        } catch (DataFormatException e) {
            return "corrupt";
        } finally {
            inflater.end();
        }
    }

    /** Data shaped like filtered PNG rows and worse: zeros, runs, short repeats, text, noise, and a mix. */
    private static byte[] sample(Random random, int kind, int length) {
        byte[] data = new byte[length];
        switch (kind) {
            case 0 -> {
            }
            case 1 -> random.nextBytes(data);
            case 2 -> {
                for (int i = 0; i < length; i++) {
                    data[i] = (byte) ("abc".charAt(i % 3) + (i / 5000));
                }
            }
            case 3 -> {
                for (int i = 0; i < length; i++) {
                    data[i] = (byte) (' ' + random.nextInt(20));
                }
            }
            default -> {
                int i = 0;
                while (i < length) {
                    int run = Math.min(length - i, 1 + random.nextInt(kind == 4 ? 2000 : 40));
                    if (random.nextBoolean()) {
                        Arrays.fill(data, i, i + run, (byte) random.nextInt(4));
                    } else if (random.nextBoolean() && i > 40_000) {
                        int from = i - 1 - random.nextInt(40_000); // beyond the 32 KiB window on purpose
                        for (int k = 0; k < run; k++) {
                            data[i + k] = data[from + k];
                        }
                    } else {
                        for (int k = 0; k < run; k++) {
                            data[i + k] = (byte) random.nextInt(256);
                        }
                    }
                    i += run;
                }
            }
        }
        return data;
    }

    private static byte[] deflate(byte[] data, int level, int strategy, boolean flushes) {
        Deflater deflater = new Deflater(level);
        deflater.setStrategy(strategy);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        // optional flushes in the middle put empty stored blocks and byte alignment into the stream
        int pieces = flushes ? 3 : 1;
        for (int p = 0; p < pieces; p++) {
            int from = p * data.length / pieces;
            deflater.setInput(data, from, (p + 1) * data.length / pieces - from);
            while (!deflater.needsInput()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            if (p + 1 < pieces) {
                int mode = p == 0 ? Deflater.SYNC_FLUSH : Deflater.FULL_FLUSH;
                int n;
                do {
                    n = deflater.deflate(buffer, 0, buffer.length, mode);
                    out.write(buffer, 0, n);
                } while (n == buffer.length);
            }
        }
        deflater.finish();
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        return out.toByteArray();
    }
}
