package pagestream.model.processor;

import java.util.Arrays;
import java.util.zip.Adler32;

/**
 * A zlib (RFC 1950) / DEFLATE (RFC 1951) decoder that writes into one caller-sized array, for PNG image data.
 *
 * <p>Why not {@link java.util.zip.Inflater}: rendered pages compress 50-130× into long back-references, and
 * zlib copies those byte by byte (~16 ms for a 150 dpi page here, most of the page's decode time). Decoding into
 * one flat array lets every back-reference be a {@link System#arraycopy} (or a fill for runs of one byte), which
 * is several times faster on such data; the Huffman decoding itself is a small share. The output is exactly the
 * bytes zlib would produce.
 *
 * <p>The stream is checked as zlib checks it when its consumer asks for exactly the bytes of the image (as
 * Pillow's PNG decoder does), including the Adler-32 trailer when the final block ends by then; when the stream
 * holds more data than asked for, decoding stops at the first extra byte, unverified. Bad data throws
 * {@link Corrupt} with what was wrong; running out of input before the output is full throws {@link Truncated}.
 */
final class Inflate {

    /** The stream is not valid zlib/DEFLATE data. */
    static final class Corrupt extends Exception {
        Corrupt(String message) {
            super(message, null, false, false);
        }
    }

    /** The input ended (or the final block ended) before the output was full. */
    static final class Truncated extends Exception {
        Truncated() {
            super("deflate data ends before the output is complete", null, false, false);
        }
    }

    private static final int[] LENGTH_BASE = new int[29];
    private static final int[] LENGTH_EXTRA = new int[29];
    private static final int[] DISTANCE_BASE = new int[30];
    private static final int[] DISTANCE_EXTRA = new int[30];
    /** Order in which the code-length code lengths are sent (RFC 1951 3.2.7). */
    private static final int[] CODE_LENGTH_ORDER = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    private static final Table FIXED_LITERALS;
    private static final Table FIXED_DISTANCES;

    static {
        // Lengths 3..258: codes 257..284 in groups of four per extra-bit count, then 285 = 258 with no extra bits.
        int length = 3;
        for (int code = 0; code < 28; code++) {
            int extra = code < 8 ? 0 : code / 4 - 1;
            LENGTH_BASE[code] = length;
            LENGTH_EXTRA[code] = extra;
            length += 1 << extra;
        }
        LENGTH_BASE[28] = 258;
        int distance = 1;
        for (int code = 0; code < 30; code++) {
            int extra = code < 4 ? 0 : code / 2 - 1;
            DISTANCE_BASE[code] = distance;
            DISTANCE_EXTRA[code] = extra;
            distance += 1 << extra;
        }
        byte[] literals = new byte[288];
        Arrays.fill(literals, 0, 144, (byte) 8);
        Arrays.fill(literals, 144, 256, (byte) 9);
        Arrays.fill(literals, 256, 280, (byte) 7);
        Arrays.fill(literals, 280, 288, (byte) 8);
        byte[] distances = new byte[32]; // 30 and 31 complete the code but are invalid when decoded
        Arrays.fill(distances, (byte) 5);
        try {
            FIXED_LITERALS = Table.of(literals, 288, false);
            FIXED_DISTANCES = Table.of(distances, 32, false);
        } catch (Corrupt e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final byte[] in;
    private final int end;
    private int position;
    /** Bits not yet consumed, least significant first (DEFLATE's bit order). */
    private long bits;
    private int bitCount;
    /** {@code out} holds every byte it can: running out of input from here on is no error. */
    private boolean full;
    /** The stream holds more data than {@code out}: decoding stopped at it, so the trailer is not reached. */
    private boolean overflow;
    /** How many bytes of {@code out} the consumer asked for (a reused buffer may be longer). */
    private final int limit;

    private Inflate(byte[] in, int offset, int length, int limit) {
        this.in = in;
        this.position = offset;
        this.end = offset + length;
        this.limit = limit;
    }

    /** Decodes the zlib stream {@code in[offset, offset + length)} until {@code out} is full. */
    static void zlib(byte[] in, int offset, int length, byte[] out) throws Corrupt, Truncated {
        zlib(in, offset, length, out, out.length);
    }

    /**
     * Decodes the zlib stream {@code in[offset, offset + length)} into the first {@code outLength} bytes of
     * {@code out} (a buffer reused for pages of several sizes).
     */
    static void zlib(byte[] in, int offset, int length, byte[] out, int outLength) throws Corrupt, Truncated {
        if (outLength < 0 || outLength > out.length) {
            throw new IllegalArgumentException("output length " + outLength + " outside 0.." + out.length);
        }
        Inflate inflate = new Inflate(in, offset, length, outLength);
        if (length < 2) {
            throw new Truncated();
        }
        int cmf = in[offset] & 0xFF;
        int flg = in[offset + 1] & 0xFF;
        if ((cmf & 0x0F) != 8 || (cmf >>> 4) > 7 || (cmf << 8 | flg) % 31 != 0) {
            throw new Corrupt("incorrect zlib header");
        }
        if ((flg & 0x20) != 0) {
            throw new Corrupt("zlib stream needs a preset dictionary");
        }
        inflate.position += 2;
        inflate.full = outLength == 0;
        try {
            inflate.blocks(out);
        } catch (Truncated e) {
            if (!inflate.full) {
                throw e;
            }
            // the image is complete; zlib would just wait for more input, and a PNG decoder stops here
        }
    }

    private void blocks(byte[] out) throws Corrupt, Truncated {
        int produced = 0;
        boolean last;
        do {
            refill();
            last = take(1) == 1;
            int type = take(2);
            switch (type) {
                case 0 -> produced = stored(out, produced);
                case 1 -> produced = huffman(out, produced, FIXED_LITERALS, FIXED_DISTANCES);
                case 2 -> {
                    Table[] tables = dynamicTables();
                    produced = huffman(out, produced, tables[0], tables[1]);
                }
                default -> throw new Corrupt("invalid block type");
            }
            if (overflow) {
                return;
            }
        } while (!last);
        // zlib checks the trailer even when the data ended early (a damaged stream mostly fails it)
        checkAdler32(out, produced);
        if (produced < limit) {
            throw new Truncated();
        }
    }

    /** The big-endian Adler-32 of the {@code length} uncompressed bytes after the final block, byte-aligned. */
    private void checkAdler32(byte[] out, int length) throws Corrupt, Truncated {
        position -= bitCount >>> 3;
        bits = 0;
        bitCount = 0;
        if (position > end || end - position < 4) {
            throw new Truncated();
        }
        int expected = (in[position] & 0xFF) << 24 | (in[position + 1] & 0xFF) << 16
                | (in[position + 2] & 0xFF) << 8 | (in[position + 3] & 0xFF);
        Adler32 adler = new Adler32();
        adler.update(out, 0, length);
        if ((int) adler.getValue() != expected) {
            throw new Corrupt("incorrect data check");
        }
    }

    private int stored(byte[] out, int produced) throws Corrupt, Truncated {
        // Give back the whole bytes read ahead, then read LEN and NLEN byte-aligned.
        position -= bitCount >>> 3;
        bits = 0;
        bitCount = 0;
        if (position > end || end - position < 4) {
            throw new Truncated();
        }
        int length = (in[position] & 0xFF) | (in[position + 1] & 0xFF) << 8;
        int complement = (in[position + 2] & 0xFF) | (in[position + 3] & 0xFF) << 8;
        if (length != (~complement & 0xFFFF)) {
            throw new Corrupt("invalid stored block lengths");
        }
        position += 4;
        int n = Math.min(length, limit - produced);
        overflow = n < length;
        if (end - position < n) {
            throw new Truncated();
        }
        System.arraycopy(in, position, out, produced, n);
        position += n;
        full = produced + n == limit;
        return produced + n;
    }

    private Table[] dynamicTables() throws Corrupt, Truncated {
        refill();
        int literalCount = take(5) + 257;
        int distanceCount = take(5) + 1;
        int codeLengthCount = take(4) + 4;
        if (literalCount > 286 || distanceCount > 30) {
            throw new Corrupt("too many length or distance symbols");
        }
        byte[] codeLengthLengths = new byte[19];
        for (int i = 0; i < codeLengthCount; i++) {
            refill();
            codeLengthLengths[CODE_LENGTH_ORDER[i]] = (byte) take(3);
        }
        Table codeLengths = Table.of(codeLengthLengths, 19, true);
        byte[] lengths = new byte[literalCount + distanceCount];
        for (int i = 0; i < lengths.length; ) {
            refill();
            int symbol = decode(codeLengths);
            if (symbol < 16) {
                lengths[i++] = (byte) symbol;
                continue;
            }
            int repeat;
            byte value = 0;
            if (symbol == 16) {
                if (i == 0) {
                    throw new Corrupt("invalid bit length repeat");
                }
                value = lengths[i - 1];
                repeat = 3 + take(2);
            } else if (symbol == 17) {
                repeat = 3 + take(3);
            } else {
                repeat = 11 + take(7);
            }
            if (i + repeat > lengths.length) {
                throw new Corrupt("invalid bit length repeat");
            }
            Arrays.fill(lengths, i, i + repeat, value);
            i += repeat;
        }
        if (lengths[256] == 0) {
            throw new Corrupt("invalid code -- missing end-of-block");
        }
        return new Table[] {
            Table.of(Arrays.copyOf(lengths, literalCount), literalCount, false),
            Table.of(Arrays.copyOfRange(lengths, literalCount, lengths.length), distanceCount, false)};
    }

    private int huffman(byte[] out, int produced, Table literals, Table distances) throws Corrupt, Truncated {
        int op = produced;
        int limit = this.limit;
        while (true) {
            refill();
            int symbol = decode(literals);
            if (symbol < 256) {
                if (op == limit) {
                    overflow = true;
                    return op;
                }
                out[op++] = (byte) symbol;
                full = op == limit;
                continue;
            }
            if (symbol == 256) {
                return op;
            }
            symbol -= 257;
            if (symbol >= 29) {
                throw new Corrupt("invalid literal/length code");
            }
            int length = LENGTH_BASE[symbol] + take(LENGTH_EXTRA[symbol]);
            refill();
            int distanceCode = decode(distances);
            if (distanceCode >= 30) {
                throw new Corrupt("invalid distance code");
            }
            int distance = DISTANCE_BASE[distanceCode] + take(DISTANCE_EXTRA[distanceCode]);
            if (op == limit) {
                overflow = true; // zlib stops here too, before it looks at the distance
                return op;
            }
            if (distance > op) {
                throw new Corrupt("invalid distance too far back");
            }
            if (length > limit - op) {
                copy(out, op, distance, limit - op);
                full = true;
                overflow = true;
                return limit;
            }
            copy(out, op, distance, length);
            op += length;
            full = op == limit;
        }
    }

    /** Appends {@code length} bytes that repeat from {@code distance} back (they may overlap what they write). */
    private static void copy(byte[] out, int op, int distance, int length) {
        int from = op - distance;
        if (distance >= length) {
            System.arraycopy(out, from, out, op, length);
        } else if (distance == 1) {
            Arrays.fill(out, op, op + length, out[from]);
        } else {
            // out[from, op) is whole periods of the pattern: appending it continues the pattern, and the
            // written span doubles each time.
            int end = op + length;
            while (op < end) {
                int n = Math.min(op - from, end - op);
                System.arraycopy(out, from, out, op, n);
                op += n;
            }
        }
    }

    private int decode(Table table) throws Corrupt, Truncated {
        int entry = table.entries[(int) bits & table.mask];
        int length = entry & 0xF;
        if (length == 0) {
            throw new Corrupt("invalid code");
        }
        consume(length);
        return entry >>> 4;
    }

    /** Tops the bit buffer up to more than 56 bits; past the input's end it adds zeros (see {@link #consume}). */
    private void refill() {
        while (bitCount <= 56) {
            int b = position < end ? in[position] & 0xFF : 0;
            position++;
            bits |= (long) b << bitCount;
            bitCount += 8;
        }
    }

    private int take(int n) throws Truncated {
        int value = (int) (bits & ((1L << n) - 1));
        consume(n);
        return value;
    }

    private void consume(int n) throws Truncated {
        bits >>>= n;
        bitCount -= n;
        if (position > end && (position - end) * 8 > bitCount) {
            throw new Truncated(); // a consumed bit was zero padding beyond the input
        }
    }

    /**
     * A canonical Huffman code as one lookup table indexed by the next {@code maxLength} input bits: entry =
     * {@code symbol << 4 | codeLength}, 0 where no code matches. zlib's rules for incomplete codes apply: none
     * for the code-length code, only a single one-bit code (or no code at all) for literals and distances.
     */
    private record Table(int[] entries, int mask) {

        static Table of(byte[] lengths, int symbols, boolean codeLengthCode) throws Corrupt {
            int[] lengthCounts = new int[16];
            int maxLength = 0;
            for (int s = 0; s < symbols; s++) {
                lengthCounts[lengths[s]]++;
                maxLength = Math.max(maxLength, lengths[s]);
            }
            lengthCounts[0] = 0;
            int left = 1;
            int[] nextCode = new int[16];
            int code = 0;
            for (int len = 1; len < 16; len++) {
                left = (left << 1) - lengthCounts[len];
                if (left < 0) {
                    throw new Corrupt("invalid code -- over-subscribed");
                }
                code = (code + lengthCounts[len - 1]) << 1;
                nextCode[len] = code;
            }
            if (left > 0 && maxLength > 0 && (codeLengthCode || maxLength != 1)) {
                throw new Corrupt("invalid code -- incomplete set");
            }
            int size = 1 << Math.max(maxLength, 1);
            int[] entries = new int[size];
            for (int s = 0; s < symbols; s++) {
                int len = lengths[s];
                if (len == 0) {
                    continue;
                }
                // Codes are sent most significant bit first into an LSB-first stream: index by the reversed code.
                int reversed = Integer.reverse(nextCode[len]++) >>> (32 - len);
                int entry = s << 4 | len;
                for (int i = reversed; i < size; i += 1 << len) {
                    entries[i] = entry;
                }
            }
            return new Table(entries, size - 1);
        }
    }
}
